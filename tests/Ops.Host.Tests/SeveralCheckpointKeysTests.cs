using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Ops.Host.Tests;

/// <summary>
/// Issue 15 item 5: several workers on one log may each sign checkpoints with their own key. <c>log verify</c> trusts the
/// keys it is given (comma-separated) or configured (<c>Ops:Checkpoints:TrustedKeys</c>) beside its own, and refuses a
/// checkpoint signed by a key it does not trust.
/// </summary>
public sealed class SeveralCheckpointKeysTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("ops-two-keys-").FullName;

    [Fact]
    public async Task TwoWorkersEachSigningWithTheirOwnKey_VerifyTogether_OnlyWhenBothKeysAreTrusted()
    {
        Assert.Equal(0, (await Cli(null, "init")).ExitCode);
        Assert.Equal(0, (await Cli(null, "log", "checkpoint")).ExitCode);
        Assert.Equal(0, (await Cli(null, "actors", "add", "bob")).ExitCode);

        // The second worker: its own key file and checkpoint folder, the same log.
        var secondKey = Path.Combine(_work, "second", "checkpoint-key.pem");
        var second = new Dictionary<string, string> { ["Ops__Checkpoints__KeyFile"] = secondKey, ["Ops__Checkpoints__Directory"] = Path.Combine(_work, "second", "checkpoints") };
        var signed = await Cli(second, "log", "checkpoint");
        Assert.True(signed.ExitCode == 0, signed.Output);

        // The operator ships both folders to one place and verifies there.
        foreach (var file in Directory.GetFiles(Path.Combine(_work, "second", "checkpoints")))
        {
            File.Copy(file, Path.Combine(_work, "checkpoints", Path.GetFileName(file)));
        }

        var first = PublicKey(Path.Combine(HostProcess.UserConfigFolder(_work), "checkpoint-key.pem"));
        var other = PublicKey(secondKey);
        var ownOnly = await Cli(null, "log", "verify");
        var given = await Cli(null, "log", "verify", "--checkpoint-key", first + "," + other);
        var configured = await Cli(new Dictionary<string, string> { ["Ops__Checkpoints__TrustedKeys__0"] = other }, "log", "verify");

        Assert.Equal(1, ownOnly.ExitCode);
        Assert.True(given.ExitCode == 0, given.Output);
        Assert.True(configured.ExitCode == 0, configured.Output);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }

    private static string PublicKey(string pemFile)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(pemFile));
        return Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());
    }

    private Task<(int ExitCode, string Output)> Cli(IDictionary<string, string>? environment, params string[] args) => HostProcess.RunCliAsync(_work, environment, args);
}
