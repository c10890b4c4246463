using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Ops.Storage.Sqlite.Migrations;

/// <summary>
/// The append-only log, command outcomes and connector cursors. UPDATE and DELETE on the log and on
/// command outcomes are refused by triggers, so the database itself keeps them append-only
/// (DESIGN.md §3). position is the rowid, so the table grows at its end; event_id is a 32-byte BLOB
/// to keep the unique index small (DESIGN.md §6).
/// </summary>
[DbContext(typeof(OpsDbContext))]
[Migration("20261121000001_InitialLog")]
internal sealed class M0001_InitialLog : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
            CREATE TABLE events (
                position        INTEGER PRIMARY KEY,
                event_id        BLOB    NOT NULL,
                stream_id       TEXT    NOT NULL,
                stream_version  INTEGER NOT NULL,
                event_type      TEXT    NOT NULL,
                occurred_at     INTEGER NOT NULL,
                source_ref      TEXT    NOT NULL,
                source_sequence INTEGER NULL,
                envelope        BLOB    NOT NULL,
                prev_hash       BLOB    NOT NULL,
                row_hash        BLOB    NOT NULL
            );
            """);
        migrationBuilder.Sql("CREATE UNIQUE INDEX ux_events_event_id ON events (event_id);");
        migrationBuilder.Sql("CREATE UNIQUE INDEX ux_events_stream ON events (stream_id, stream_version);");
        migrationBuilder.Sql("CREATE INDEX ix_events_canonical ON events (occurred_at, source_ref, source_sequence, event_id);");
        migrationBuilder.Sql("CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events is append-only: UPDATE refused'); END;");
        migrationBuilder.Sql("CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events is append-only: DELETE refused'); END;");

        migrationBuilder.Sql("""
            CREATE TABLE command_outcomes (
                command_id   TEXT    NOT NULL PRIMARY KEY,
                content_hash TEXT    NOT NULL,
                command_type TEXT    NOT NULL,
                status       TEXT    NOT NULL,
                outcome      BLOB    NOT NULL,
                decided_at   INTEGER NOT NULL
            ) WITHOUT ROWID;
            """);
        migrationBuilder.Sql("CREATE TRIGGER command_outcomes_refuse_update BEFORE UPDATE ON command_outcomes BEGIN SELECT RAISE(ABORT, 'command_outcomes is append-only: UPDATE refused'); END;");
        migrationBuilder.Sql("CREATE TRIGGER command_outcomes_refuse_delete BEFORE DELETE ON command_outcomes BEGIN SELECT RAISE(ABORT, 'command_outcomes is append-only: DELETE refused'); END;");

        migrationBuilder.Sql("""
            CREATE TABLE connector_cursors (
                connector_id   TEXT    NOT NULL PRIMARY KEY,
                cursor         TEXT    NULL,
                watermark      TEXT    NULL,
                pages          INTEGER NOT NULL,
                updated_at     INTEGER NOT NULL,
                completed_at   INTEGER NULL
            ) WITHOUT ROWID;
            """);

        migrationBuilder.Sql("""
            CREATE TABLE projection_documents (
                projection TEXT NOT NULL,
                doc_key    TEXT NOT NULL,
                document   BLOB NOT NULL,
                PRIMARY KEY (projection, doc_key)
            ) WITHOUT ROWID;
            """);
        migrationBuilder.Sql("""
            CREATE TABLE projection_checkpoints (
                projection TEXT    NOT NULL PRIMARY KEY,
                version    INTEGER NOT NULL,
                position   INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("DROP TABLE projection_checkpoints;");
        migrationBuilder.Sql("DROP TABLE projection_documents;");
        migrationBuilder.Sql("DROP TABLE connector_cursors;");
        migrationBuilder.Sql("DROP TRIGGER command_outcomes_refuse_delete;");
        migrationBuilder.Sql("DROP TRIGGER command_outcomes_refuse_update;");
        migrationBuilder.Sql("DROP TABLE command_outcomes;");
        migrationBuilder.Sql("DROP TRIGGER events_refuse_delete;");
        migrationBuilder.Sql("DROP TRIGGER events_refuse_update;");
        migrationBuilder.Sql("DROP TABLE events;");
    }
}
