using Microsoft.Data.Sqlite;

namespace Ops.Host.Tests;

/// <summary>
/// Issue 15 item 5: <c>db backup</c> and <c>db restore</c> round-trip with <c>log verify</c>. A backup is verified and never
/// overwrites a file; a restore that would roll the log back behind a signed checkpoint is refused and changes nothing,
/// unless the operator accepts the rollback, and the restored log then verifies.
/// </summary>
public sealed class DbBackupRestoreTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("ops-backup-").FullName;

    [Fact]
    [Trait("Pack", "notes")]
    public async Task Backup_ThenRestore_RoundTripsWithLogVerify_AndARollbackBehindACheckpointNeedsToBeAccepted()
    {
        Assert.Equal(0, (await Cli("init")).ExitCode);
        var file = Path.Combine(_work, "ops-backup.db");

        var backup = await Cli("db", "backup", file);
        Assert.True(backup.ExitCode == 0, backup.Output);
        Assert.Contains("Verified the copy: chain intact", backup.Output, StringComparison.Ordinal);
        var again = await Cli("db", "backup", file);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("never overwrites", again.Output, StringComparison.Ordinal);

        // The log moves on past the backup, and a checkpoint is signed there.
        Assert.Equal(0, (await Cli("actors", "add", "bob", "--kind", "Human")).ExitCode);
        Assert.Equal(0, (await Cli("log", "checkpoint")).ExitCode);
        var head = Scalar("SELECT max(position) FROM events");

        var refused = await Cli("db", "restore", file);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("behind the latest signed checkpoint", refused.Output, StringComparison.Ordinal);
        Assert.Equal(head, Scalar("SELECT max(position) FROM events"));

        var restored = await Cli("db", "restore", file, "--accept-rollback");
        Assert.True(restored.ExitCode == 0, restored.Output);
        Assert.Contains("Rolled back", restored.Output, StringComparison.Ordinal);
        Assert.True(Scalar("SELECT max(position) FROM events") < head);
        Assert.Equal(0, Scalar("SELECT count(*) FROM events WHERE event_type = 'core.ActorRegistered' AND envelope LIKE '%\"bob\"%'"));
        var verify = await Cli("log", "verify");
        Assert.True(verify.ExitCode == 0, verify.Output);
    }

    [Fact]
    public async Task Restore_OfABackupEditedBehindTheKernel_IsRefused_AndChangesNothing()
    {
        Assert.Equal(0, (await Cli("init")).ExitCode);
        var file = Path.Combine(_work, "edited.db");
        Assert.Equal(0, (await Cli("db", "backup", file)).ExitCode);
        using (var connection = new SqliteConnection($"Data Source={file};Pooling=False"))
        {
            connection.Open();
            using var edit = connection.CreateCommand();
            edit.CommandText = "DROP TRIGGER events_refuse_update; UPDATE events SET envelope = CAST(replace(CAST(envelope AS TEXT), '\"admin\"', '\"admim\"') AS BLOB) WHERE position = 2";
            edit.ExecuteNonQuery();
        }

        var head = Scalar("SELECT max(position) FROM events");

        var refused = await Cli("db", "restore", file, "--accept-rollback");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("does not verify", refused.Output, StringComparison.Ordinal);
        Assert.Equal(head, Scalar("SELECT max(position) FROM events"));
        Assert.Equal(0, (await Cli("log", "verify")).ExitCode);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }

    private Task<(int ExitCode, string Output)> Cli(params string[] args) => HostProcess.RunCliAsync(_work, null, args);

    private long Scalar(string sql) => WorkDatabase.Scalar(_work, sql);
}
