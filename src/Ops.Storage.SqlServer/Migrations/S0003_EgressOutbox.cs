using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Ops.Storage.SqlServer.Migrations;

/// <summary>
/// The egress outbox, the shape of PostgreSQL's P0003: requests moved by conditional updates and claimed with
/// <c>UPDLOCK, READPAST</c> (SQL Server's SKIP LOCKED), and the engaged kill switches. Keys are nvarchar with a binary
/// collation: request ids and scopes are ASCII, for which that order is byte order. Down drops them; the log keeps
/// every request and move.
/// </summary>
[DbContext(typeof(SqlServerMigrationsContext))]
[Migration("20261215000003_MssqlEgressOutbox")]
internal sealed class S0003_EgressOutbox : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
            CREATE TABLE dbo.egress_requests (
                request_id      nvarchar(200)  COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT pk_egress_requests PRIMARY KEY CLUSTERED,
                tenant_id       nvarchar(128)  COLLATE Latin1_General_100_BIN2 NOT NULL,
                pack_id         nvarchar(128)  COLLATE Latin1_General_100_BIN2 NOT NULL,
                destination     nvarchar(400)  COLLATE Latin1_General_100_BIN2 NOT NULL,
                command_type    nvarchar(256)  COLLATE Latin1_General_100_BIN2 NOT NULL,
                command_id      nvarchar(450)  COLLATE Latin1_General_100_BIN2 NOT NULL,
                idempotency_key nvarchar(450)  COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT ux_egress_requests_key UNIQUE,
                request_hash    nvarchar(128)  COLLATE Latin1_General_100_BIN2 NOT NULL,
                request         varbinary(max) NOT NULL,
                status          nvarchar(32)   COLLATE Latin1_General_100_BIN2 NOT NULL,
                held_from       nvarchar(32)   COLLATE Latin1_General_100_BIN2 NULL,
                attempts        int            NOT NULL,
                lease_owner     nvarchar(200)  NULL,
                lease_until     bigint         NULL,
                created_at      bigint         NOT NULL,
                updated_at      bigint         NOT NULL,
                dispatched_at   bigint         NULL
            );
            CREATE INDEX ix_egress_requests_status ON dbo.egress_requests (status, created_at, request_id);
            CREATE INDEX ix_egress_requests_dispatched ON dbo.egress_requests (destination, dispatched_at);
            CREATE TABLE dbo.egress_switches (
                scope      nvarchar(400) COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT pk_egress_switches PRIMARY KEY CLUSTERED,
                reason     nvarchar(max) NOT NULL,
                engaged_at bigint        NOT NULL
            );
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("DROP TABLE dbo.egress_switches; DROP TABLE dbo.egress_requests;");
    }
}
