using Ops.Core.Log.Integrity;
using Ops.TestSupport;

namespace Ops.Core.Tests.Storage.Postgres;

/// <summary>
/// Issue 20 item 4 on PostgreSQL: what the table's owner can do to the append-only guarantee without touching a row
/// (disable or drop a trigger, rewrite the function every trigger runs, rename the table and copy it back, a rule or a
/// row-level policy that hides rows from verify, a column loosened) is a <c>schema_altered</c> finding of log verify.
/// </summary>
[RequiresPostgres]
public sealed class PostgresSchemaTamperTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    public static TheoryData<string, string> Attacks => new()
    {
        { "disable a trigger", "ALTER TABLE events DISABLE TRIGGER events_refuse_change" },
        { "disable every user trigger", "ALTER TABLE command_outcomes DISABLE TRIGGER USER" },
        { "drop a trigger", "DROP TRIGGER events_refuse_truncate ON events" },
        { "rewrite the trigger function", "CREATE OR REPLACE FUNCTION ops_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$" },
        { "rename and copy back", "ALTER TABLE events RENAME TO events_old; CREATE TABLE events (LIKE events_old INCLUDING ALL); INSERT INTO events SELECT * FROM events_old; DROP TABLE events_old CASCADE" },
        { "a rule that swallows appends", "CREATE RULE sneak AS ON INSERT TO events DO INSTEAD NOTHING" },
        { "a policy that hides rows from verify", "ALTER TABLE events ENABLE ROW LEVEL SECURITY; ALTER TABLE events FORCE ROW LEVEL SECURITY; CREATE POLICY hide ON events USING (position < 2)" },
        { "a column loosened", "ALTER TABLE command_outcomes ALTER COLUMN row_hash DROP NOT NULL" },
        { "a unique index dropped", "DROP INDEX ux_events_event_id" },
    };

    [Fact]
    public async Task Schema_AsMigrated_IsTheExpectedOne()
    {
        var engine = await fixture.CreateEngineAsync();
        await PostgresEngineTests.AppendAsync(engine, "s", PostgresEngineTests.Drafts("a", "b"));

        var live = await engine.Events.ReadLogSchemaAsync(default);
        var expected = await engine.Events.ExpectedLogSchemaAsync(default);

        Assert.Equal(expected!.Hash, live!.Hash);
        Assert.Contains(live.Lines, l => l.StartsWith("trigger | events | events_refuse_change", StringComparison.Ordinal));
        Assert.Empty((await LogIntegrity.SchemaAsync(engine.Events, [], null, default)).Findings);
        // The scratch schema the expectation was worked out in was rolled back.
        await using var admin = await PostgresFixture.AdminAsync(engine);
        await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'ops_expected_schema_%'", admin);
        Assert.Equal(0L, await count.ExecuteScalarAsync());
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Issue20_SchemaWeakened_IsSchemaAltered_InVerify(string attack, string sql)
    {
        var engine = await fixture.CreateEngineAsync();
        await PostgresEngineTests.AppendAsync(engine, "s", PostgresEngineTests.Drafts("a", "b", "c"));
        await using (var admin = await PostgresFixture.AdminAsync(engine))
        {
            await PostgresEngineTests.ExecuteAsync(admin, sql);
        }

        var report = await LogIntegrity.VerifyAsync(engine.Events, [], null, null, default);

        var finding = Assert.Single(report.Findings, f => f.Problem == IntegrityProblem.SchemaAltered);
        Assert.False(string.IsNullOrEmpty(finding.Message), attack);
    }
}
