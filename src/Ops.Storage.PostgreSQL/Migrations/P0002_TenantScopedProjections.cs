using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Ops.Storage.PostgreSQL.Migrations;

/// <summary>
/// Projection documents keyed by (projection, tenant_id, mode, doc_key), the shape of SQLite's M0003, and one
/// checkpoint per projection. Keys are COLLATE "C" so a scan in key order is UTF-8 byte order, the order of the
/// state hash. Derived data: Down drops it whatever it holds, and the next catch-up rebuilds from the log.
/// </summary>
[DbContext(typeof(PostgresMigrationsContext))]
[Migration("20261215000002_PgTenantScopedProjections")]
internal sealed class P0002_TenantScopedProjections : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
            CREATE TABLE projection_documents (
                projection text  COLLATE "C" NOT NULL,
                tenant_id  text  COLLATE "C" NOT NULL,
                mode       text  COLLATE "C" NOT NULL,
                doc_key    text  COLLATE "C" NOT NULL,
                document   bytea NOT NULL,
                PRIMARY KEY (projection, tenant_id, mode, doc_key)
            );
            CREATE TABLE projection_checkpoints (
                projection text    COLLATE "C" NOT NULL PRIMARY KEY,
                version    integer NOT NULL,
                position   bigint  NOT NULL,
                updated_at bigint  NOT NULL
            );
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("DROP TABLE projection_checkpoints; DROP TABLE projection_documents;");
    }
}
