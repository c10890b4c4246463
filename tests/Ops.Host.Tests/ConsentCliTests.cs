namespace Ops.Host.Tests;

/// <summary>The consent flow by hand with the CLI, as the README shows it.</summary>
public sealed class ConsentCliTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("ops-consent-cli-").FullName;

    private Task<(int ExitCode, string Output)> Cli(params string[] args) => HostProcess.RunCliAsync(_work, null, args);

    [Fact]

    [Trait("Pack", "notes")]
    public async Task ProposeSignCommit_ByHand_WritesOnceAndLeavesAVerifiableAuditExport()
    {
        Assert.Equal(0, (await Cli("init")).ExitCode);
        Assert.True(File.Exists(Path.Combine(HostProcess.UserConfigFolder(_work), "admin-signer.pem")));
        Assert.False(File.Exists(Path.Combine(_work, "admin-signer.pem")));

        var propose = await Cli("propose", "--type", "pack.notes.notes.CreateNote", "--target", "note-new", "--payload", """{"title":"Launch plan","content":"Ship it","content_type":"text","tags":["q4"]}""");
        Assert.Equal(0, propose.ExitCode);
        Assert.Contains("/title: null -> \"Launch plan\"", propose.Output, StringComparison.Ordinal);
        var (_, tailBefore) = await Cli("log", "tail");

        var sign = await Cli("sign", "proposal.json", "--interpretation", "1");
        Assert.Equal(0, sign.ExitCode);
        var commit = await Cli("commit", "proposal.json", "--consent", "consent.json");
        Assert.Equal(0, commit.ExitCode);
        Assert.Contains("accepted", commit.Output, StringComparison.Ordinal);
        Assert.Contains("\"title\":\"Launch plan\"", commit.Output, StringComparison.Ordinal);

        var replay = await Cli("commit", "proposal.json", "--consent", "consent.json");
        Assert.Equal(1, replay.ExitCode);
        Assert.Contains("signature_already_used", replay.Output, StringComparison.Ordinal);

        var audit = await Cli("audit", "list", "--actor", "admin", "--target", "note-new");
        Assert.Matches("pack.notes.notes.CreateNote on note-[0-9a-f]{32}  signed by admin", audit.Output);
        Assert.Equal(0, (await Cli("audit", "export", "--out", "audit.jsonl")).ExitCode);
        var verify = await Cli("log", "verify", "--file", "audit.jsonl");
        Assert.Equal(0, verify.ExitCode);
        Assert.Contains("chain intact", verify.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("CreateNote", tailBefore, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_WithoutKeyFile_FailsAndSaysWhatToDo()
    {
        Assert.Equal(0, (await Cli("init")).ExitCode);
        Assert.Equal(0, (await Cli("propose", "--type", "core.RegisterActor", "--target", "actor-bob", "--payload", """{"actor_id":"bob","kind":"human","display_name":"Bob"}""")).ExitCode);

        var sign = await Cli("sign", "proposal.json", "--signer", "bob");

        Assert.Equal(1, sign.ExitCode);
        Assert.Contains("keys new", sign.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_work, "consent.json")));
    }

    [Theory]
    [InlineData("not-base64!")]
    [InlineData("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE")]
    public async Task KeysRegister_AKeyThatIsNotP256_IsRefusedByTheKernel_AndNothingIsRegistered(string publicKey)
    {
        Assert.Equal(0, (await Cli("init")).ExitCode);
        var (_, before) = await Cli("keys", "list");

        var register = await Cli("keys", "register", "admin", "--public-key", publicKey);

        Assert.Equal(1, register.ExitCode);
        Assert.Contains("core.RegisterSignerKey: rejected", register.Output, StringComparison.Ordinal);
        Assert.Equal(before, (await Cli("keys", "list")).Output);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }
}
