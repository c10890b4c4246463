using System.Text;
using Microsoft.Data.Sqlite;

namespace Ops.Host.Tests;

/// <summary>
/// Issue 20 item 4 through the built executable, as the attacker left it: one bit flipped in a stored core row, or the
/// log table renamed and copied back (every append-only trigger gone). Before, every verb and the worker died on the
/// first with "a file given to this command is not valid JSON" and an unhandled exception, and verify said OK on the
/// second. Now verify names the row and the schema, every verb says where the damage is, and the worker refuses to start.
/// </summary>
public sealed class VerifierCliTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("ops-verifier-").FullName;

    private string Database => Path.Combine(_work, "data", "ops.db");

    private Task<(int ExitCode, string Output)> Cli(params string[] args) => HostProcess.RunCliAsync(_work, null, args);

    [Fact]
    public async Task Issue20_BitFlipInACoreRow_VerifyLocatesIt_VerbsNameIt_TheWorkerRefusesToStart()
    {
        Assert.Equal(0, (await Cli("init")).ExitCode);
        Assert.Equal(0, (await Cli("actors", "add", "bob")).ExitCode);
        long position;
        await using (var connection = new SqliteConnection($"Data Source={Database};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT position, envelope FROM events WHERE event_type = 'core.ActorRegistered' ORDER BY position DESC LIMIT 1";
            byte[] envelope;
            await using (var reader = await command.ExecuteReaderAsync())
            {
                await reader.ReadAsync();
                (position, envelope) = (reader.GetInt64(0), (byte[])reader.GetValue(1));
            }

            // One bit of the member name "actor_id" in the payload: the JSON stays valid, the payload no longer fits.
            var at = Encoding.UTF8.GetString(envelope).IndexOf("\"actor_id\"", StringComparison.Ordinal) + 2;
            envelope[at] ^= 0x01;
            command.CommandText = "SELECT sql FROM sqlite_master WHERE name = 'events_refuse_update'";
            var trigger = (string)(await command.ExecuteScalarAsync())!;
            command.CommandText = $"DROP TRIGGER events_refuse_update; UPDATE events SET envelope = $e WHERE position = {position}; {trigger}";
            command.Parameters.AddWithValue("$e", envelope);
            await command.ExecuteNonQueryAsync();
        }

        var (verifyCode, verifyOutput) = await Cli("log", "verify");
        Assert.Equal(1, verifyCode);
        Assert.Contains($"BROKEN at position {position} (chain_broken)", verifyOutput, StringComparison.Ordinal);
        Assert.Contains($"BROKEN at position {position} (row_unreadable)", verifyOutput, StringComparison.Ordinal);
        Assert.True(verifyOutput.IndexOf("(chain_broken)", StringComparison.Ordinal) < verifyOutput.IndexOf("(row_unreadable)", StringComparison.Ordinal), verifyOutput);

        foreach (var verb in new[] { new[] { "status" }, ["actors", "list"], ["log", "tail"] })
        {
            var (_, output) = await Cli(verb);
            Assert.Contains($"position {position}", output, StringComparison.Ordinal);
            Assert.Contains("row_unreadable", output, StringComparison.Ordinal);
            Assert.DoesNotContain("not valid JSON of the expected shape", output, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        }

        var (startCode, startOutput) = await HostProcess.RunCliAsync(_work, null, "run", "--urls", $"http://127.0.0.1:{HostProcess.FreePort()}");
        Assert.Equal(1, startCode);
        Assert.Contains("did not start", startOutput, StringComparison.Ordinal);
        Assert.Contains($"(row_unreadable) the log row at position {position}", startOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", startOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", startOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Issue20_TableRenamedAndCopiedBack_VerifyNamesTheSchema_TheWorkerRefusesToStart()
    {
        Assert.Equal(0, (await Cli("init")).ExitCode);
        await using (var connection = new SqliteConnection($"Data Source={Database};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            // No DROP TRIGGER needed: the triggers go with the old table.
            command.CommandText = "ALTER TABLE events RENAME TO events_old; CREATE TABLE events AS SELECT * FROM events_old; DROP TABLE events_old;";
            await command.ExecuteNonQueryAsync();
        }

        var (verifyCode, verifyOutput) = await Cli("log", "verify");
        Assert.Equal(1, verifyCode);
        Assert.Contains("BROKEN (schema_altered)", verifyOutput, StringComparison.Ordinal);
        Assert.Contains("events_refuse_update", verifyOutput, StringComparison.Ordinal);

        var (startCode, startOutput) = await HostProcess.RunCliAsync(_work, null, "run", "--urls", $"http://127.0.0.1:{HostProcess.FreePort()}");
        Assert.Equal(1, startCode);
        Assert.Contains("(schema_altered)", startOutput, StringComparison.Ordinal);
        Assert.Contains("restore the database from a backup", startOutput, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }
}
