using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Hosting;
using Ops.Core.Log.Checkpoints;
using Ops.Testing;

namespace Ops.Host.Tests;

/// <summary>Issue 7 item 5 through the built executable: checkpoints, verify, exports, and the worker's refusal to start behind a checkpoint.</summary>
public sealed class CheckpointCliTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("ops-checkpoints-").FullName;

    private Task<(int ExitCode, string Output)> Cli(params string[] args) => HostProcess.RunCliAsync(_work, null, args);

    [Fact]
    public async Task Worker_BehindItsLatestCheckpoint_RefusesToStart_SayingWhatToDo_AndTheCliReportsIt()
    {
        Assert.Equal(0, (await Cli("init")).ExitCode);
        Assert.Equal(0, (await Cli("actors", "add", "bob")).ExitCode);
        var signed = await Cli("log", "checkpoint");
        Assert.True(signed.ExitCode == 0, signed.Output);
        Assert.Single(Directory.GetFiles(Path.Combine(_work, "checkpoints"), "checkpoint-*.json"));
        Assert.Equal(0, (await Cli("log", "verify")).ExitCode);

        // Someone with the database file cuts its tail off.
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(_work, "data", "ops.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var cut = connection.CreateCommand();
            cut.CommandText = "DROP TRIGGER events_refuse_delete; DELETE FROM events WHERE position > 5";
            await cut.ExecuteNonQueryAsync();
        }

        var (startCode, startOutput) = await HostProcess.RunCliAsync(_work, null, "run", "--urls", $"http://127.0.0.1:{HostProcess.FreePort()}");
        Assert.Equal(1, startCode);
        Assert.Contains("did not start", startOutput, StringComparison.Ordinal);
        Assert.Contains("(truncated) the log ends at position 5", startOutput, StringComparison.Ordinal);
        Assert.Contains("What to do: run 'log verify'", startOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", startOutput, StringComparison.Ordinal);

        var (verifyCode, verifyOutput) = await Cli("log", "verify");
        Assert.Equal(1, verifyCode);
        Assert.Contains("BROKEN at position 6 (truncated)", verifyOutput, StringComparison.Ordinal);
        var (tailCode, tailOutput) = await Cli("log", "tail");
        Assert.Equal(0, tailCode);
        Assert.Contains("WARNING (truncated)", tailOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogExport_VerifiesWithFile_AndElsewhereWithThePublicKeyAlone_EditsAndNoKeyAreRefused()
    {
        Assert.Equal(0, (await Cli("init")).ExitCode);
        Assert.Equal(0, (await Cli("actors", "add", "bob")).ExitCode);
        var export = await Cli("log", "export", "--out", "log.jsonl");
        Assert.True(export.ExitCode == 0, export.Output);
        Assert.Equal(0, (await Cli("audit", "export", "--out", "audit.jsonl")).ExitCode);
        var verified = await Cli("log", "verify", "--file", "log.jsonl");
        Assert.True(verified.ExitCode == 0, verified.Output);
        Assert.Contains("chain intact", verified.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await Cli("log", "verify", "--file", "audit.jsonl")).ExitCode);
        var shown = await Cli("log", "checkpoint", "--show-key");
        var publicKey = shown.Output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("public_key: ", StringComparison.Ordinal))["public_key: ".Length..];

        // Elsewhere: another folder and another user configuration, so no key file; only the public key.
        var elsewhere = Path.Combine(_work, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        var copy = Path.Combine(elsewhere, "log.jsonl");
        File.Copy(Path.Combine(_work, "log.jsonl"), copy);
        var trusted = await HostProcess.RunCliAsync(elsewhere, null, "log", "verify", "--file", copy, "--checkpoint-key", publicKey);
        Assert.True(trusted.ExitCode == 0, trusted.Output);
        var untrusted = await HostProcess.RunCliAsync(elsewhere, null, "log", "verify", "--file", copy);
        Assert.Equal(1, untrusted.ExitCode);
        Assert.Contains("no_trusted_checkpoint_key", untrusted.Output, StringComparison.Ordinal);

        var lines = await File.ReadAllLinesAsync(copy);
        await File.WriteAllLinesAsync(copy, lines[..^1]);
        var cut = await HostProcess.RunCliAsync(elsewhere, null, "log", "verify", "--file", copy, "--checkpoint-key", publicKey);
        Assert.Equal(1, cut.ExitCode);
        Assert.Contains("export_unsealed", cut.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogVerifyHelp_NamesTheOptionsThatExist()
    {
        var (code, output) = await Cli("log", "verify", "--help");

        Assert.Equal(0, code);
        foreach (var option in new[] { "--file", "--checkpoints", "--checkpoint-key" })
        {
            Assert.Contains(option, output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("--with-chain", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scheduler_SignsOnlyWhenTheLogMoved_AndOnStop()
    {
        await using var h = await KernelHarness.StartAsync(settings: new Dictionary<string, string?> { ["Ops:Checkpoints:IntervalSeconds"] = "3600" });
        var scheduler = new CheckpointScheduler(h.Kernel, NullLogger<CheckpointScheduler>.Instance);

        var first = await scheduler.TickAsync(CancellationToken.None);
        var unchanged = await scheduler.TickAsync(CancellationToken.None);
        await h.SendAsync("core.RegisterActor", "actor-bob", new Ops.Core.Capabilities.RegisterActor("bob", Ops.Core.Envelopes.ActorKind.Human, "Bob"));
        await scheduler.StartAsync(CancellationToken.None);
        await scheduler.StopAsync(CancellationToken.None);

        Assert.NotNull(first);
        Assert.Null(unchanged);
        var files = h.Kernel.Checkpoints.ReadCheckpoints();
        Assert.Equal(2, files.Count);
        Assert.Equal(await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None) - 1, files.Max(f => f.Checkpoint!.Position));
        Assert.Equal(2, (await h.Kernel.EventLog.ReadStreamAsync(CheckpointEventTypes.Stream, CancellationToken.None)).Count);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }
}
