using Microsoft.Data.Sqlite;

namespace Ops.Host.Tests;

/// <summary>
/// Issue 15 item 3: destructive admin acts ask first. Removing a pack, disabling the last administrator and revoking its
/// last API key need --yes; without it the verb says what it would do, exits 2 and appends nothing; with it, it is done.
/// </summary>
public sealed class DestructiveActsTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("ops-destructive-").FullName;

    [Fact]
    [Trait("Pack", "notes")]
    public async Task RemovingAPack_DisablingTheLastAdmin_AndRevokingItsLastKey_NeedYes_AndChangeNothingWithoutIt()
    {
        Assert.Equal(0, (await Cli("init")).ExitCode);
        var keyId = (await Cli("api-keys", "list")).Output.Split('\n').Select(l => l.Trim()).First(l => l.Contains("actor=admin", StringComparison.Ordinal)).Split(' ')[0];
        var before = Scalar("SELECT count(*) FROM events WHERE stream_id <> 'core:safety'");

        var remove = await Cli("packs", "remove", "notes", "--reason", "tidy");
        var disable = await Cli("actors", "disable", "admin", "--reason", "leaving");
        var revoke = await Cli("api-keys", "revoke", keyId, "--reason", "rotate");

        Assert.All([remove, disable, revoke], r => Assert.Equal(2, r.ExitCode));
        Assert.Contains("removing pack 'notes'", remove.Output, StringComparison.Ordinal);
        Assert.Contains("'admin' is the last enabled administrator", disable.Output, StringComparison.Ordinal);
        Assert.Contains("revoking its last API key", revoke.Output, StringComparison.Ordinal);
        Assert.All([remove, disable, revoke], r => Assert.Contains("Nothing was done; pass --yes", r.Output, StringComparison.Ordinal));
        Assert.Equal(before, Scalar("SELECT count(*) FROM events WHERE stream_id <> 'core:safety'"));

        // Confirmed, the act is done.
        var confirmed = await Cli("packs", "remove", "notes", "--reason", "tidy", "--yes");
        Assert.True(confirmed.ExitCode == 0, confirmed.Output);
        Assert.Equal(1, Scalar("SELECT count(*) FROM events WHERE event_type = 'core.PackRemoved'"));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }

    private Task<(int ExitCode, string Output)> Cli(params string[] args) => HostProcess.RunCliAsync(_work, null, args);

    private long Scalar(string sql) => WorkDatabase.Scalar(_work, sql);
}
