using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Ops.Storage.PostgreSQL.Migrations;

/// <summary>
/// The log, the chained command outcomes and the connector cursors on PostgreSQL: the tables and columns of
/// SQLite's M0001 and M0002 (blobs as bytea, ticks as bigint), with texts in COLLATE "C" so every ORDER BY
/// compares UTF-8 bytes as the canonical order and the chain do. The outcome chain has no pre-chain rows here, so
/// seq, prev_hash and row_hash are NOT NULL from the start.
/// <para>
/// Append-only, enforced by the database: row triggers refuse UPDATE and DELETE (so <c>INSERT ... ON CONFLICT DO
/// UPDATE</c> and <c>MERGE ... WHEN MATCHED</c> are refused too), a statement trigger refuses TRUNCATE, and the
/// unique indexes refuse any INSERT or COPY whose position, event_id, (stream_id, stream_version), command_id or seq
/// exists; PostgreSQL has no REPLACE resolution that would delete a row behind the triggers. A view over every
/// chained column makes <c>ALTER TABLE ... DROP COLUMN</c> fail (dependent objects) unless it says CASCADE. What
/// the database cannot refuse to its owner (DROP TABLE, DROP ... CASCADE, DROP TRIGGER, ALTER TABLE DISABLE
/// TRIGGER, a new row appended at the tail) the chain and the signed checkpoints detect; docs/operations.md says
/// how to run the worker as a role that cannot do those at all.
/// </para>
/// </summary>
[DbContext(typeof(PostgresMigrationsContext))]
[Migration("20261215000001_PgInitialLog")]
internal sealed class P0001_InitialLog : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
            CREATE TABLE events (
                position        bigint NOT NULL PRIMARY KEY,
                event_id        bytea  NOT NULL,
                stream_id       text   COLLATE "C" NOT NULL,
                stream_version  bigint NOT NULL,
                event_type      text   COLLATE "C" NOT NULL,
                occurred_at     bigint NOT NULL,
                source_ref      text   COLLATE "C" NOT NULL,
                source_sequence bigint NULL,
                envelope        bytea  NOT NULL,
                prev_hash       bytea  NOT NULL,
                row_hash        bytea  NOT NULL
            );
            CREATE UNIQUE INDEX ux_events_event_id ON events (event_id);
            CREATE UNIQUE INDEX ux_events_stream ON events (stream_id, stream_version);
            CREATE INDEX ix_events_canonical ON events (occurred_at, source_ref, source_sequence NULLS FIRST, event_id);

            CREATE TABLE command_outcomes (
                command_id   text   COLLATE "C" NOT NULL PRIMARY KEY,
                content_hash text   COLLATE "C" NOT NULL,
                command_type text   COLLATE "C" NOT NULL,
                status       text   COLLATE "C" NOT NULL,
                outcome      bytea  NOT NULL,
                decided_at   bigint NOT NULL,
                seq          bigint NOT NULL,
                prev_hash    bytea  NOT NULL,
                row_hash     bytea  NOT NULL
            );
            CREATE UNIQUE INDEX ux_command_outcomes_seq ON command_outcomes (seq);

            CREATE TABLE connector_cursors (
                connector_id text   COLLATE "C" NOT NULL PRIMARY KEY,
                cursor       text   NULL,
                watermark    text   NULL,
                pages        integer NOT NULL,
                updated_at   bigint NOT NULL,
                completed_at bigint NULL
            );

            -- SQLSTATE OPA01: the kernel and the tests recognise the refusal by its code, never by this text.
            CREATE FUNCTION ops_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION USING ERRCODE = 'OPA01', MESSAGE = format('%s is append-only: %s refused', TG_TABLE_NAME, TG_OP);
            END $$;
            CREATE TRIGGER events_refuse_change BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION ops_refuse_change();
            CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION ops_refuse_change();
            CREATE TRIGGER command_outcomes_refuse_change BEFORE UPDATE OR DELETE ON command_outcomes FOR EACH ROW EXECUTE FUNCTION ops_refuse_change();
            CREATE TRIGGER command_outcomes_refuse_truncate BEFORE TRUNCATE ON command_outcomes FOR EACH STATEMENT EXECUTE FUNCTION ops_refuse_change();

            -- Depend on every chained column, so DROP COLUMN without CASCADE fails (2BP01).
            CREATE VIEW ops_events_chained AS
                SELECT position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM events;
            CREATE VIEW ops_outcomes_chained AS
                SELECT seq, command_id, content_hash, command_type, status, outcome, decided_at, prev_hash, row_hash FROM command_outcomes;
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        // Refused while the log or the outcome chain holds a row (SQLSTATE OPM01): going down to 0 is for empty databases.
        migrationBuilder.Sql("""
            DO $$
            BEGIN
                IF EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM command_outcomes) THEN
                    RAISE EXCEPTION USING ERRCODE = 'OPM01',
                        MESSAGE = format('the log holds %s event(s) and %s command outcome(s): a migration that drops them is refused',
                            (SELECT count(*) FROM events), (SELECT count(*) FROM command_outcomes));
                END IF;
            END $$;
            DROP VIEW ops_outcomes_chained;
            DROP VIEW ops_events_chained;
            DROP TABLE connector_cursors;
            DROP TABLE command_outcomes;
            DROP TABLE events;
            DROP FUNCTION ops_refuse_change();
            """);
    }
}
