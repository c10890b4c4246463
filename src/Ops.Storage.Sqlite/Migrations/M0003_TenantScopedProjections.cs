using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Ops.Storage.Sqlite.Migrations;

/// <summary>
/// Projection documents carry the tenant and mode of the events folded into them (seed 001: identity
/// scope on every record, tenant and mode enforced server-side): the primary key becomes
/// (projection, tenant_id, mode, doc_key), so one document never mixes tenants and every read can be
/// scoped to the caller's tenant and mode by its key prefix.
/// <para>
/// Existing data: documents are derived from the log and the old rows carry no tenant, so Up drops
/// them and deletes every projection checkpoint; the next catch-up (the worker does one at start, a
/// query or command does one for its pack) rebuilds each projection from the log in canonical order.
/// Nothing in the log changes. Down does the same in reverse: the old shape, empty, and no
/// checkpoints, so the previous kernel rebuilds too.
/// </para>
/// </summary>
[DbContext(typeof(OpsDbContext))]
[Migration("20261201000003_TenantScopedProjections")]
internal sealed class M0003_TenantScopedProjections : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("DROP TABLE projection_documents;");
        migrationBuilder.Sql("""
            CREATE TABLE projection_documents (
                projection TEXT NOT NULL,
                tenant_id  TEXT NOT NULL,
                mode       TEXT NOT NULL,
                doc_key    TEXT NOT NULL,
                document   BLOB NOT NULL,
                PRIMARY KEY (projection, tenant_id, mode, doc_key)
            ) WITHOUT ROWID;
            """);
        migrationBuilder.Sql("DELETE FROM projection_checkpoints;");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("DROP TABLE projection_documents;");
        migrationBuilder.Sql("""
            CREATE TABLE projection_documents (
                projection TEXT NOT NULL,
                doc_key    TEXT NOT NULL,
                document   BLOB NOT NULL,
                PRIMARY KEY (projection, doc_key)
            ) WITHOUT ROWID;
            """);
        migrationBuilder.Sql("DELETE FROM projection_checkpoints;");
    }
}
