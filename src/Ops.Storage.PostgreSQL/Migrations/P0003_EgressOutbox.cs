using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Ops.Storage.PostgreSQL.Migrations;

/// <summary>
/// The egress outbox, the shape of SQLite's M0004: requests moved by conditional updates and claimed with
/// <c>FOR UPDATE SKIP LOCKED</c>, and the engaged kill switches. Keys are COLLATE "C" so ordering matches SQLite's.
/// Down drops them; the log keeps every request and move.
/// </summary>
[DbContext(typeof(PostgresMigrationsContext))]
[Migration("20261215000003_PgEgressOutbox")]
internal sealed class P0003_EgressOutbox : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
            CREATE TABLE egress_requests (
                request_id      text    COLLATE "C" NOT NULL PRIMARY KEY,
                tenant_id       text    COLLATE "C" NOT NULL,
                pack_id         text    COLLATE "C" NOT NULL,
                destination     text    COLLATE "C" NOT NULL,
                command_type    text    COLLATE "C" NOT NULL,
                command_id      text    COLLATE "C" NOT NULL,
                idempotency_key text    COLLATE "C" NOT NULL UNIQUE,
                request_hash    text    COLLATE "C" NOT NULL,
                request         bytea   NOT NULL,
                status          text    COLLATE "C" NOT NULL,
                held_from       text    COLLATE "C" NULL,
                attempts        integer NOT NULL,
                lease_owner     text    COLLATE "C" NULL,
                lease_until     bigint  NULL,
                created_at      bigint  NOT NULL,
                updated_at      bigint  NOT NULL,
                dispatched_at   bigint  NULL
            );
            CREATE INDEX ix_egress_requests_status ON egress_requests (status, created_at, request_id);
            CREATE INDEX ix_egress_requests_dispatched ON egress_requests (destination, dispatched_at);
            CREATE TABLE egress_switches (
                scope      text   COLLATE "C" NOT NULL PRIMARY KEY,
                reason     text   NOT NULL,
                engaged_at bigint NOT NULL
            );
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("DROP TABLE egress_switches; DROP TABLE egress_requests;");
    }
}
