using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Ops.Storage.Sqlite.Migrations;

/// <summary>
/// Closes the ways SQLite can replace an existing row without an UPDATE or DELETE (issue 7 item 5).
/// <c>INSERT OR REPLACE</c>, <c>REPLACE INTO</c> and an <c>ON CONFLICT ... REPLACE</c> resolution delete
/// the conflicting row without firing delete triggers (unless recursive_triggers is on); a BEFORE
/// INSERT trigger runs before any conflict resolution, so it refuses an insert whose position,
/// event_id or (stream_id, stream_version) already exists, whatever the statement's resolution.
/// UPSERT (<c>ON CONFLICT DO UPDATE</c>) is refused by the same trigger, and its UPDATE by the update
/// trigger. The triggers name every column that no index holds, because SQLite refuses
/// <c>ALTER TABLE ... DROP COLUMN</c> on a column a trigger uses. The writer looks an event_id up before
/// inserting, so the idempotent append still returns the original.
/// <para>
/// Command outcomes are chained like the log: <c>seq</c> (1, 2, ...), <c>prev_hash</c>, <c>row_hash</c>
/// (<see cref="Ops.Core.Log.OutcomeChain"/>), and an insert without them is refused. Outcomes recorded before
/// this migration keep NULL there; <c>log verify</c> counts them as not covered.
/// </para>
/// DROP TABLE and writable_schema cannot be refused by SQLite; the chain and the signed checkpoints
/// outside the database detect what they do.
/// </summary>
[DbContext(typeof(OpsDbContext))]
[Migration("20261201000002_AppendOnlyIntegrity")]
internal sealed class M0002_AppendOnlyIntegrity : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
            CREATE TRIGGER events_refuse_replace BEFORE INSERT ON events
            WHEN EXISTS (SELECT 1 FROM events WHERE position = NEW.position)
              OR EXISTS (SELECT 1 FROM events WHERE event_id = NEW.event_id)
              OR EXISTS (SELECT 1 FROM events WHERE stream_id = NEW.stream_id AND stream_version = NEW.stream_version)
              OR NEW.event_type IS NULL OR NEW.envelope IS NULL OR NEW.prev_hash IS NULL OR NEW.row_hash IS NULL
            BEGIN SELECT RAISE(ABORT, 'events is append-only: an INSERT that would replace or duplicate an existing row (position, event_id or stream version) is refused'); END;
            """);

        migrationBuilder.Sql("ALTER TABLE command_outcomes ADD COLUMN seq INTEGER NULL;");
        migrationBuilder.Sql("ALTER TABLE command_outcomes ADD COLUMN prev_hash BLOB NULL;");
        migrationBuilder.Sql("ALTER TABLE command_outcomes ADD COLUMN row_hash BLOB NULL;");
        migrationBuilder.Sql("CREATE UNIQUE INDEX ux_command_outcomes_seq ON command_outcomes (seq);");
        migrationBuilder.Sql("""
            CREATE TRIGGER command_outcomes_refuse_replace BEFORE INSERT ON command_outcomes
            WHEN EXISTS (SELECT 1 FROM command_outcomes WHERE command_id = NEW.command_id)
              OR EXISTS (SELECT 1 FROM command_outcomes WHERE seq = NEW.seq)
              OR NEW.seq IS NULL OR NEW.prev_hash IS NULL OR NEW.row_hash IS NULL
              OR NEW.content_hash IS NULL OR NEW.command_type IS NULL OR NEW.status IS NULL OR NEW.outcome IS NULL OR NEW.decided_at IS NULL
            BEGIN SELECT RAISE(ABORT, 'command_outcomes is append-only and chained: an INSERT that would replace a row, or that carries no seq, prev_hash and row_hash, is refused'); END;
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("DROP TRIGGER command_outcomes_refuse_replace;");
        migrationBuilder.Sql("DROP INDEX ux_command_outcomes_seq;");
        migrationBuilder.Sql("ALTER TABLE command_outcomes DROP COLUMN row_hash;");
        migrationBuilder.Sql("ALTER TABLE command_outcomes DROP COLUMN prev_hash;");
        migrationBuilder.Sql("ALTER TABLE command_outcomes DROP COLUMN seq;");
        migrationBuilder.Sql("DROP TRIGGER events_refuse_replace;");
    }
}
