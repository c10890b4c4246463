using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Errors;
using Ops.Core.Hosting;
using Ops.Core.Log.Checkpoints;
using Ops.Core.Log.Integrity;
using Ops.Testing;

namespace Ops.Core.Tests;

/// <summary>
/// Issue 20 item 4, attacker first: a stored core row is damaged in the database file (a flipped bit, a renamed member,
/// invalid UTF-8, a value of the wrong type) or the schema that keeps the log append-only is weakened (a trigger dropped,
/// the table renamed and copied back, writable_schema). A kernel opened on the file afterwards must not crash: verify
/// locates the damage (the chain first), the start check refuses, and every read names the row.
/// </summary>
public sealed class VerifierDamageTests
{
    public static TheoryData<string, string> CoreRowDamage => new()
    {
        { "bit flip that breaks the JSON", "not valid JSON" },
        { "renamed envelope member", "shape of an event envelope" },
        { "renamed payload member", "payload does not have the shape core.ActorRegistered requires" },
        { "invalid UTF-8", "not valid UTF-8" },
        { "member of the wrong type", "shape of an event envelope" },
    };

    [Theory]
    [MemberData(nameof(CoreRowDamage))]
    public async Task Issue20_DamagedCoreRow_VerifyLocatesIt_StartIsRefused_ReadsNameThePosition(string damage, string kind)
    {
        await using var h = await KernelHarness.StartAsync();
        await h.AddActorAsync("bob", new Capabilities.CapabilityScope(["pack.x.*"], ["*"], [Envelopes.SafetyClass.Read]));
        var position = await ScalarAsync(h.DatabasePath, "SELECT position FROM events WHERE event_type = 'core.ActorRegistered' ORDER BY position DESC LIMIT 1");
        var envelope = await EnvelopeAsync(h.DatabasePath, position);
        await TamperKeepingSchemaAsync(h.DatabasePath, "UPDATE events SET envelope = $e WHERE position = " + position, Damage(envelope, damage));

        await using var reopened = Reopen(h);

        using var key = reopened.Checkpoints.TrustedKey();
        var report = await LogIntegrity.VerifyAsync(reopened.EventLog.Store, reopened.Checkpoints.ReadCheckpoints(), key, null, CancellationToken.None);
        Assert.Equal(IntegrityProblem.ChainBroken, report.Findings[0].Problem);
        Assert.Equal(position, report.Findings[0].Position);
        var unreadable = Assert.Single(report.Findings, f => f.Problem == IntegrityProblem.RowUnreadable);
        Assert.Equal(position, unreadable.Position);
        Assert.Contains(kind, unreadable.Message, StringComparison.Ordinal);

        var start = await LogIntegrity.CheckStartAsync(reopened, CancellationToken.None);
        Assert.Contains(start.Findings, f => f.Problem == IntegrityProblem.ChainBroken && f.Position == position);
        Assert.Contains(start.Findings, f => f.Problem == IntegrityProblem.RowUnreadable && f.Position == position);
        Assert.Contains("restore the database from a backup", await KernelStartup.CheckAsync(reopened, CancellationToken.None), StringComparison.Ordinal);

        var refused = await Assert.ThrowsAsync<OpsException>(() => new OpsAdministration(reopened).ActorsAsync(h.Time.GetUtcNow(), CancellationToken.None));
        Assert.Equal(ReasonCodes.RowUnreadable, refused.Code);
        Assert.Contains($"position {position}", refused.Message, StringComparison.Ordinal);
        var write = await Assert.ThrowsAsync<OpsException>(() => reopened.Writer.ExecuteAsync((_, _) => ValueTask.FromResult(true), CancellationToken.None));
        Assert.Equal(ReasonCodes.RowUnreadable, write.Code);
    }

    [Fact]
    public async Task Issue20_UnreadableRowWithAValidChain_AfterTheLastCheckpoint_IsNamedByVerify()
    {
        await using var h = await KernelHarness.StartAsync();
        var head = await ScalarAsync(h.DatabasePath, "SELECT max(position) FROM events");
        var envelope = await EnvelopeAsync(h.DatabasePath, head);
        // Re-chained by the attacker: the row hashes correctly, so only reading it back can tell.
        var forged = Damage(envelope, "renamed envelope member");
        var previous = await BlobAsync(h.DatabasePath, $"SELECT prev_hash FROM events WHERE position = {head}");
        var row = await RowAsync(h.DatabasePath, head);
        var hash = Log.LogChain.RowHash(previous, row with { Envelope = forged });
        await TamperKeepingSchemaAsync(h.DatabasePath, $"UPDATE events SET envelope = $e, row_hash = $h WHERE position = {head}", forged, hash);

        using var key = h.Kernel.Checkpoints.TrustedKey();
        var report = await LogIntegrity.VerifyAsync(h.Kernel.EventLog.Store, h.Kernel.Checkpoints.ReadCheckpoints(), key, null, CancellationToken.None);

        Assert.True(report.Chain!.IsValid);
        var finding = Assert.Single(report.Findings);
        Assert.Equal(IntegrityProblem.RowUnreadable, finding.Problem);
        Assert.Equal(head, finding.Position);
    }

    [Theory]
    [InlineData("row_hash", "hex(row_hash)")]
    [InlineData("stream_version", "'one'")]
    [InlineData("event_id", "''")]
    [InlineData("envelope", "42")]
    public async Task Issue20_ValueOfTheWrongTypeInAColumn_AtTheHead_IsLocated_NothingThrows(string column, string value)
    {
        await using var h = await KernelHarness.StartAsync();
        var head = await ScalarAsync(h.DatabasePath, "SELECT max(position) FROM events");
        await TamperKeepingSchemaAsync(h.DatabasePath, $"UPDATE events SET {column} = {value} WHERE position = {head}");

        await using var reopened = Reopen(h);
        using var key = reopened.Checkpoints.TrustedKey();
        var report = await LogIntegrity.VerifyAsync(reopened.EventLog.Store, reopened.Checkpoints.ReadCheckpoints(), key, null, CancellationToken.None);
        await LogIntegrity.CheckStartAsync(reopened, CancellationToken.None);

        Assert.Equal(IntegrityProblem.ChainBroken, report.Findings[0].Problem);
        Assert.Equal(head, report.Findings[0].Position);
    }

    public static TheoryData<string, string> SchemaAttacks => new()
    {
        { "drop trigger", "DROP TRIGGER events_refuse_update;" },
        { "rename and copy back", "ALTER TABLE events RENAME TO events_old; CREATE TABLE events AS SELECT * FROM events_old; DROP TABLE events_old;" },
        { "rename and copy back with the same definition", "ALTER TABLE events RENAME TO events_old; CREATE TABLE events (position INTEGER PRIMARY KEY, event_id BLOB NOT NULL, stream_id TEXT NOT NULL, stream_version INTEGER NOT NULL, event_type TEXT NOT NULL, occurred_at INTEGER NOT NULL, source_ref TEXT NOT NULL, source_sequence INTEGER NULL, envelope BLOB NOT NULL, prev_hash BLOB NOT NULL, row_hash BLOB NOT NULL); INSERT INTO events SELECT * FROM events_old; DROP TABLE events_old;" },
        { "writable_schema weakens a trigger", "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = replace(sql, 'SELECT RAISE(ABORT, ''events is append-only: UPDATE refused'');', 'SELECT 1;') WHERE name = 'events_refuse_update'; PRAGMA writable_schema = OFF;" },
        { "writable_schema removes a trigger", "PRAGMA writable_schema = ON; DELETE FROM sqlite_master WHERE name = 'command_outcomes_refuse_delete'; PRAGMA writable_schema = OFF;" },
        { "a trigger added that rewrites appends", "CREATE TRIGGER events_sneak AFTER INSERT ON events BEGIN SELECT 1; END;" },
    };

    [Theory]
    [MemberData(nameof(SchemaAttacks))]
    public async Task Issue20_SchemaWeakened_IsDetectedByVerify_RefusedAtStart_AndNotSigned(string attack, string sql)
    {
        await using var h = await KernelHarness.StartAsync();
        await h.Kernel.Checkpoints.SignAsync(false, null, CancellationToken.None);
        await ExecuteAsync(h.DatabasePath, sql);

        await using var reopened = Reopen(h);
        using var key = reopened.Checkpoints.TrustedKey();
        var report = await LogIntegrity.VerifyAsync(reopened.EventLog.Store, reopened.Checkpoints.ReadCheckpoints(), key, null, CancellationToken.None);

        var finding = Assert.Single(report.Findings, f => f.Problem == IntegrityProblem.SchemaAltered);
        Assert.Equal("schema_altered", finding.Code);
        Assert.True(report.Chain!.IsValid, attack);
        Assert.Contains(IntegrityProblem.SchemaAltered, (await LogIntegrity.CheckStartAsync(reopened, CancellationToken.None)).Findings.Select(f => f.Problem));
        Assert.Contains("schema", await KernelStartup.CheckAsync(reopened, CancellationToken.None), StringComparison.Ordinal);
        var sign = await Assert.ThrowsAsync<OpsException>(() => reopened.Checkpoints.SignAsync(false, null, CancellationToken.None));
        Assert.Equal(ReasonCodes.SchemaAltered, sign.Code);
    }

    [Fact]
    public async Task Issue20_Checkpoint_SignsTheSchemaHash_AndCheckpointsWithoutOneStillVerify()
    {
        await using var h = await KernelHarness.StartAsync();
        var signed = (await h.Kernel.Checkpoints.SignAsync(false, null, CancellationToken.None))!.Checkpoint;
        var live = await h.Kernel.EventLog.Store.ReadLogSchemaAsync(CancellationToken.None);
        Assert.Equal(live!.Hash, signed.SchemaHash);
        Assert.Equal((await h.Kernel.EventLog.Store.ExpectedLogSchemaAsync(CancellationToken.None))!.Hash, live.Hash);

        using var key = h.Kernel.Checkpoints.TrustedKey();
        Assert.Null(key!.Verify(signed));
        Assert.NotNull(key.Verify(signed with { SchemaHash = new string('0', 64) }));

        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var old = CheckpointSigning.Sign(other, 3, new string('1', 64), 0, new string('0', 64), h.Time.GetUtcNow());
        Assert.Null(old.SchemaHash);
        Assert.Null(CheckpointSigning.Verify(old, other, CheckpointSigning.KeyIdOf(other)));
        Assert.DoesNotContain("schema_hash", Encoding.UTF8.GetString(CheckpointStore.Serialize(old)), StringComparison.Ordinal);
    }

    /// <summary>A second kernel on the harness's files, as a restarted worker or a CLI verb would open it.</summary>
    internal static OpsKernel Reopen(KernelHarness h)
    {
        var values = new Dictionary<string, string?>
        {
            ["Ops:Mode"] = "system",
            ["Ops:Routes:event_log:Provider"] = "sqlite",
            ["Ops:Routes:event_log:ConnectionString"] = $"Data Source={h.DatabasePath}",
            ["Ops:Routes:projections:Provider"] = "sqlite",
            ["Ops:Routes:projections:ConnectionString"] = $"Data Source={h.DatabasePath}",
            ["Ops:Checkpoints:KeyFile"] = Path.Combine(h.Directory, "keys", "checkpoint-key.pem"),
            ["Ops:Checkpoints:Directory"] = Path.Combine(h.Directory, "checkpoints"),
        };
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddOps(new ConfigurationBuilder().AddInMemoryCollection(values).Build()).UseTimeProvider(h.Time).UseSqlite();
        services.Configure<KernelOptions>(o => o.ContentRoot = h.Directory);
        return services.BuildServiceProvider().GetRequiredService<OpsKernel>();
    }

    /// <summary>The stored envelope damaged the named way; each keeps the row's other columns as they were.</summary>
    internal static byte[] Damage(byte[] envelope, string damage)
    {
        var text = Encoding.UTF8.GetString(envelope);
        return damage switch
        {
            "bit flip that breaks the JSON" => Flip(envelope, 0, 0x01),
            "renamed envelope member" => Encoding.UTF8.GetBytes(text.Replace("\"source_ref\"", "\"source_reg\"", StringComparison.Ordinal)),
            "renamed payload member" => Encoding.UTF8.GetBytes(text.Replace("\"actor_id\"", "\"actor_iq\"", StringComparison.Ordinal)),
            "invalid UTF-8" => [.. envelope[..10], 0xFF, 0xFE, .. envelope[10..]],
            "member of the wrong type" => Encoding.UTF8.GetBytes(text.Replace("\"payload_schema_version\":1", "\"payload_schema_version\":\"one\"", StringComparison.Ordinal)),
            _ => throw new ArgumentOutOfRangeException(nameof(damage)),
        };
    }

    private static byte[] Flip(byte[] bytes, int at, byte mask)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] ^= mask;
        return copy;
    }

    /// <summary>What an attacker who covers their tracks does: the triggers dropped, the edit made, the triggers recreated exactly as they were.</summary>
    internal static Task TamperKeepingSchemaAsync(string database, string sql, params byte[][] blobs) =>
        WithTriggersDroppedAsync(database, async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            string[] names = ["$e", "$h"];
            for (var i = 0; i < blobs.Length; i++)
            {
                command.Parameters.AddWithValue(names[i], blobs[i]);
            }

            await command.ExecuteNonQueryAsync();
        });

    /// <summary>Runs <paramref name="edit"/> with the log tables' triggers dropped, then recreates them from their stored definitions.</summary>
    internal static async Task WithTriggersDroppedAsync(string database, Func<SqliteConnection, Task> edit)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        await connection.OpenAsync();
        var triggers = new List<(string Name, string Sql)>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('events', 'command_outcomes')";
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                triggers.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        await using var command = connection.CreateCommand();
        command.CommandText = string.Concat(triggers.Select(t => $"DROP TRIGGER {t.Name}; "));
        await command.ExecuteNonQueryAsync();
        await edit(connection);
        command.CommandText = string.Concat(triggers.Select(t => t.Sql + "; "));
        await command.ExecuteNonQueryAsync();
    }

    private static async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(string database, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<byte[]> BlobAsync(string database, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (byte[])(await command.ExecuteScalarAsync())!;
    }

    private static Task<byte[]> EnvelopeAsync(string database, long position) => BlobAsync(database, $"SELECT envelope FROM events WHERE position = {position}");

    private static async Task<Log.ChainRow> RowAsync(string database, long position)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope FROM events WHERE position = {position}";
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new Log.ChainRow(reader.GetInt64(0), (byte[])reader.GetValue(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4), reader.GetInt64(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetInt64(7), (byte[])reader.GetValue(8));
    }
}
