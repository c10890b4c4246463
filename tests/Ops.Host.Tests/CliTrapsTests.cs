using System.Net;
using System.Net.Sockets;

namespace Ops.Host.Tests;

/// <summary>
/// Issue 9 item 2: a CLI that explains itself and never traps. Exit codes are 0 done, 1 refused or failed, 2 usage;
/// no stack trace reaches a user for a user's mistake; nothing is created or destroyed by accident.
/// </summary>
public sealed class CliTrapsTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("ops-cli-traps-").FullName;

    private Task<(int ExitCode, string Output)> Cli(params string[] args) => HostProcess.RunCliAsync(_work, null, args);

    [Fact]
    public async Task ReadCommandInAFolderWithoutADatabase_SaysSo_CreatesNothing_ExitsOne()
    {
        var (exit, output) = await Cli("log", "tail");

        Assert.Equal(1, exit);
        Assert.Contains("there is no database", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_work, "data")) && Directory.EnumerateFiles(Path.Combine(_work, "data")).Any());
        NoStackTrace(output);
    }

    [Fact]
    public async Task UsageErrors_ExitTwo_GlobalOptionsMayComeFirst_StatusDescribesTheStoppedWorker()
    {
        Assert.Equal(0, (await Cli("init")).ExitCode);

        var usage = await Cli("capabilities", "grant", "bob");
        var unknown = await Cli("log", "tial");
        var status = await Cli("--as", "admin", "status");

        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("--types", usage.Output, StringComparison.Ordinal);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Equal(0, status.ExitCode);
        Assert.Contains("initialized: yes", status.Output, StringComparison.Ordinal);
        Assert.Contains("mode system", status.Output, StringComparison.Ordinal);
        Assert.Contains("notes", status.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "statuss" }, "status")]
    [InlineData(new[] { "egres", "list" }, "egress")]
    [InlineData(new[] { "log", "tial" }, "tail")]
    [InlineData(new[] { "-v" }, null)]
    [InlineData(new[] { "--url", "http://127.0.0.1:5999" }, null)]
    public async Task AnUnknownVerbOrOption_IsAUsageError_WithASuggestion_AndNeverStartsTheWorker(string[] args, string? suggestion)
    {
        // Issue 15 item 3: a typo used to start the worker on 5080; only no arguments or 'run' do.
        var (exit, output) = await Cli(args);

        Assert.Equal(2, exit);
        Assert.Contains("Nothing was done", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", output, StringComparison.Ordinal);
        if (suggestion is not null)
        {
            Assert.Contains($"Did you mean '{suggestion}'?", output, StringComparison.Ordinal);
        }

        NoStackTrace(output);
    }

    [Fact]
    public async Task Migrations_UnknownTargetAndDroppingALogWithEvents_AreRefused_AndNothingHangsAfterwards()
    {
        Assert.Equal(0, (await Cli("init")).ExitCode);

        var unknown = await Cli("db", "migrate", "--to", "999");
        var drop = await Cli("db", "migrate", "--to", "0");
        var after = await Cli("log", "tail");

        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("There is no migration '999'", unknown.Output, StringComparison.Ordinal);
        Assert.Equal(1, drop.ExitCode);
        Assert.Contains("would drop the log's tables", drop.Output, StringComparison.Ordinal);
        Assert.Contains("log export", drop.Output, StringComparison.Ordinal);
        Assert.Equal(0, after.ExitCode);
        Assert.Contains("core.ActorRegistered", after.Output, StringComparison.Ordinal);
        NoStackTrace(unknown.Output + drop.Output);
    }

    [Fact]

    [Trait("Pack", "notes")]
    public async Task PayloadFromAFile_BrokenFiles_AndAReplayedCommit_AreExplained()
    {
        Assert.Equal(0, (await Cli("init")).ExitCode);
        await File.WriteAllTextAsync(Path.Combine(_work, "note.json"), """{"title":"From a file","content":"x","content_type":"text"}""");

        var propose = await Cli("propose", "--type", "pack.notes.notes.CreateNote", "--target", "note-new", "--payload", "@note.json");
        Assert.Equal(0, propose.ExitCode);
        Assert.Contains("From a file", propose.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await Cli("sign", "proposal.json")).ExitCode);
        Assert.Equal(0, (await Cli("commit", "proposal.json")).ExitCode);

        // A second signature of the same proposal: the command was already decided, and the CLI says so.
        Assert.Equal(0, (await Cli("sign", "proposal.json", "--out", "again.json")).ExitCode);
        var replay = await Cli("commit", "proposal.json", "--consent", "again.json");
        Assert.Equal(0, replay.ExitCode);
        Assert.Contains("this is a replay", replay.Output, StringComparison.Ordinal);
        Assert.Contains("Nothing was appended", replay.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("(removed)", replay.Output, StringComparison.Ordinal);

        await File.WriteAllTextAsync(Path.Combine(_work, "broken.json"), "{ not json");
        var broken = await Cli("commit", "broken.json");
        var missing = await Cli("commit", "no-such-file.json");
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("not valid JSON", broken.Output, StringComparison.Ordinal);
        Assert.Equal(1, missing.ExitCode);
        NoStackTrace(broken.Output + missing.Output);
    }

    [Fact]

    [Trait("Pack", "notes")]
    public async Task SigningAnAmbiguousProposal_NeedsAnExplicitInterpretation()
    {
        Assert.Equal(0, (await Cli("init")).ExitCode);
        foreach (var key in new[] { "one", "two" })
        {
            Assert.Equal(0, (await Cli("propose", "--type", "pack.notes.notes.CreateNote", "--target", "note-new", "--idempotency-key", key, "--payload", """{"title":"Plan","content":"x","content_type":"text"}""")).ExitCode);
            Assert.Equal(0, (await Cli("sign", "proposal.json")).ExitCode);
            Assert.Equal(0, (await Cli("commit", "proposal.json")).ExitCode);
        }

        Assert.Equal(0, (await Cli("propose", "--type", "pack.notes.notes.UpdateNote", "--target", "note-title:Plan", "--payload", """{"content":"y"}""")).ExitCode);
        var sign = await Cli("sign", "proposal.json");

        Assert.Equal(1, sign.ExitCode);
        Assert.Contains("choose one with --interpretation", sign.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_work, "consent.json")) && File.GetLastWriteTimeUtc(Path.Combine(_work, "consent.json")) > File.GetLastWriteTimeUtc(Path.Combine(_work, "proposal.json")));
    }

    [Fact]
    public async Task WorkerOnAPortInUse_SaysSo_WithoutAStackTrace()
    {
        Assert.Equal(0, (await Cli("init")).ExitCode);
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var (exit, output) = await Cli("run", "--urls", $"http://127.0.0.1:{port}");

        Assert.Equal(1, exit);
        Assert.Contains("did not start", output, StringComparison.Ordinal);
        Assert.Contains("--urls", output, StringComparison.Ordinal);
        NoStackTrace(output);
    }

    private static void NoStackTrace(string output) => Assert.DoesNotMatch(@"\n\s+at [A-Z][\w.]+\(", output);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // A process still closing leaves the temp folder behind.
        }
    }
}
