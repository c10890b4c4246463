using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Ops.Storage.Sqlite.Migrations;

/// <summary>
/// The egress outbox (constitution A3, A9; seed 004): one mutable row per request, moved only by conditional
/// updates in the writer's transaction beside the event that records the move, and the engaged kill switches. The
/// log stays the record of every move; these tables are the delivery state the dispatcher claims from. Down drops
/// them: it refuses nothing, since the log keeps every request and every move.
/// </summary>
[DbContext(typeof(OpsDbContext))]
[Migration("20261202000004_EgressOutbox")]
internal sealed class M0004_EgressOutbox : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
            CREATE TABLE egress_requests (
                request_id      TEXT    NOT NULL PRIMARY KEY,
                tenant_id       TEXT    NOT NULL,
                pack_id         TEXT    NOT NULL,
                destination     TEXT    NOT NULL,
                command_type    TEXT    NOT NULL,
                command_id      TEXT    NOT NULL,
                idempotency_key TEXT    NOT NULL UNIQUE,
                request_hash    TEXT    NOT NULL,
                request         BLOB    NOT NULL,
                status          TEXT    NOT NULL,
                held_from       TEXT    NULL,
                attempts        INTEGER NOT NULL,
                lease_owner     TEXT    NULL,
                lease_until     INTEGER NULL,
                created_at      INTEGER NOT NULL,
                updated_at      INTEGER NOT NULL,
                dispatched_at   INTEGER NULL
            ) WITHOUT ROWID;
            CREATE INDEX ix_egress_requests_status ON egress_requests (status, created_at, request_id);
            CREATE INDEX ix_egress_requests_dispatched ON egress_requests (destination, dispatched_at);
            CREATE TABLE egress_switches (
                scope      TEXT    NOT NULL PRIMARY KEY,
                reason     TEXT    NOT NULL,
                engaged_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("DROP TABLE egress_switches; DROP TABLE egress_requests;");
    }
}
