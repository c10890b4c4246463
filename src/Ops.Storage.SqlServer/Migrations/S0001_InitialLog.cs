using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Ops.Storage.SqlServer.Migrations;

/// <summary>
/// The log, the chained command outcomes and the connector cursors on SQL Server: the tables and columns of
/// PostgreSQL's P0001 (blobs as varbinary, ticks as bigint). Keyed texts that are ordered (stream_id, source_ref)
/// are varbinary UTF-8 (<see cref="SqlServerText"/>), so ORDER BY compares UTF-8 bytes as the canonical order and
/// the chain do; the others are nvarchar.
/// <para>
/// Append-only, enforced by the database: AFTER UPDATE, DELETE triggers THROW 51001 (so MERGE ... WHEN MATCHED is
/// refused too); an empty guard table's foreign keys make TRUNCATE TABLE fail (error 4712); a SCHEMABINDING view over
/// every chained column makes DROP TABLE and ALTER TABLE ... DROP or ALTER COLUMN fail while it exists; the unique
/// indexes refuse any INSERT of a taken position, event_id, (stream_id, stream_version), command_id or seq. What the
/// database cannot refuse to its owner (DROP VIEW then DROP TABLE, DISABLE TRIGGER, a row appended at the tail) the
/// chain and the signed checkpoints detect; docs/operations.md says how to run the worker as a principal that cannot
/// do those at all.
/// </para>
/// </summary>
[DbContext(typeof(SqlServerMigrationsContext))]
[Migration("20261215000001_MssqlInitialLog")]
internal sealed class S0001_InitialLog : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        // CREATE TRIGGER and CREATE VIEW must each open a batch: EXEC gives them one, at run time and in the generated script alike.
        migrationBuilder.Sql("""
            CREATE TABLE dbo.events (
                position        bigint          NOT NULL CONSTRAINT pk_events PRIMARY KEY CLUSTERED,
                event_id        varbinary(32)   NOT NULL,
                stream_id       varbinary(1600) NOT NULL,
                stream_version  bigint          NOT NULL,
                event_type      nvarchar(256)   NOT NULL,
                occurred_at     bigint          NOT NULL,
                source_ref      varbinary(1024) NOT NULL,
                source_sequence bigint          NULL,
                envelope        varbinary(max)  NOT NULL,
                prev_hash       binary(32)      NOT NULL,
                row_hash        binary(32)      NOT NULL
            );
            CREATE UNIQUE INDEX ux_events_event_id ON dbo.events (event_id);
            CREATE UNIQUE INDEX ux_events_stream ON dbo.events (stream_id, stream_version);
            CREATE INDEX ix_events_canonical ON dbo.events (occurred_at, source_ref, source_sequence, event_id);

            CREATE TABLE dbo.command_outcomes (
                command_id   nvarchar(450)  NOT NULL CONSTRAINT pk_command_outcomes PRIMARY KEY CLUSTERED,
                content_hash nvarchar(128)  NOT NULL,
                command_type nvarchar(256)  NOT NULL,
                status       nvarchar(32)   NOT NULL,
                outcome      varbinary(max) NOT NULL,
                decided_at   bigint         NOT NULL,
                seq          bigint         NOT NULL,
                prev_hash    binary(32)     NOT NULL,
                row_hash     binary(32)     NOT NULL
            );
            CREATE UNIQUE INDEX ux_command_outcomes_seq ON dbo.command_outcomes (seq);

            CREATE TABLE dbo.connector_cursors (
                connector_id nvarchar(450) NOT NULL CONSTRAINT pk_connector_cursors PRIMARY KEY CLUSTERED,
                [cursor]     nvarchar(max) NULL,
                watermark    nvarchar(max) NULL,
                pages        int           NOT NULL,
                updated_at   bigint        NOT NULL,
                completed_at bigint        NULL
            );

            -- Never holds a row: its foreign keys exist so that TRUNCATE TABLE of either chained table is refused.
            CREATE TABLE dbo.ops_truncate_guard (
                position bigint NULL CONSTRAINT fk_guard_events REFERENCES dbo.events (position),
                seq      bigint NULL CONSTRAINT fk_guard_outcomes REFERENCES dbo.command_outcomes (seq),
                CONSTRAINT ck_guard_empty CHECK (position IS NULL AND seq IS NULL AND 1 = 0)
            );
            EXEC (N'
            CREATE TRIGGER dbo.events_refuse_change ON dbo.events AFTER UPDATE, DELETE AS
            BEGIN
                SET NOCOUNT ON;
                THROW 51001, N''events is append-only: UPDATE and DELETE are refused'', 1;
            END
            ');
            EXEC (N'
            CREATE TRIGGER dbo.command_outcomes_refuse_change ON dbo.command_outcomes AFTER UPDATE, DELETE AS
            BEGIN
                SET NOCOUNT ON;
                THROW 51001, N''command_outcomes is append-only: UPDATE and DELETE are refused'', 1;
            END
            ');
            EXEC (N'
            CREATE VIEW dbo.ops_events_chained WITH SCHEMABINDING AS
                SELECT position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM dbo.events
            ');
            EXEC (N'
            CREATE VIEW dbo.ops_outcomes_chained WITH SCHEMABINDING AS
                SELECT seq, command_id, content_hash, command_type, status, outcome, decided_at, prev_hash, row_hash FROM dbo.command_outcomes
            ');
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        // Refused while the log or the outcome chain holds a row (error 51002): going down to 0 is for empty databases.
        migrationBuilder.Sql("""
            IF EXISTS (SELECT 1 FROM dbo.events) OR EXISTS (SELECT 1 FROM dbo.command_outcomes)
                THROW 51002, N'the log holds events or command outcomes: a migration that drops them is refused', 1;
            DROP VIEW dbo.ops_outcomes_chained;
            DROP VIEW dbo.ops_events_chained;
            DROP TABLE dbo.ops_truncate_guard;
            DROP TABLE dbo.connector_cursors;
            DROP TABLE dbo.command_outcomes;
            DROP TABLE dbo.events;
            """);
    }
}
