using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Ops.Storage.SqlServer.Migrations;

/// <summary>
/// Projection documents keyed by (projection, tenant_id, mode, doc_key), the shape of PostgreSQL's P0002, and one
/// checkpoint per projection. tenant_id, mode and doc_key are varbinary UTF-8 (<see cref="SqlServerText"/>) so a
/// scan in key order is UTF-8 byte order, the order of the state hash. Snapshot isolation is switched on for the
/// database so that a projection read sees checkpoint and documents as of one instant. Derived data: Down drops it
/// whatever it holds, and the next catch-up rebuilds from the log.
/// </summary>
[DbContext(typeof(SqlServerMigrationsContext))]
[Migration("20261215000002_MssqlTenantScopedProjections")]
internal sealed class S0002_TenantScopedProjections : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        // ALTER DATABASE cannot run inside a transaction.
        migrationBuilder.Sql("ALTER DATABASE CURRENT SET ALLOW_SNAPSHOT_ISOLATION ON;", suppressTransaction: true);
        migrationBuilder.Sql("""
            CREATE TABLE dbo.projection_documents (
                projection nvarchar(200)   NOT NULL,
                tenant_id  varbinary(128)  NOT NULL,
                mode       varbinary(32)   NOT NULL,
                doc_key    varbinary(1024) NOT NULL,
                document   varbinary(max)  NOT NULL,
                CONSTRAINT pk_projection_documents PRIMARY KEY NONCLUSTERED (projection, tenant_id, mode, doc_key)
            );
            CREATE TABLE dbo.projection_checkpoints (
                projection nvarchar(200) NOT NULL CONSTRAINT pk_projection_checkpoints PRIMARY KEY CLUSTERED,
                version    int           NOT NULL,
                position   bigint        NOT NULL,
                updated_at bigint        NOT NULL
            );
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("DROP TABLE dbo.projection_checkpoints; DROP TABLE dbo.projection_documents;");
    }
}
