using Microsoft.EntityFrameworkCore;

namespace Ops.Storage.SqlServer;

/// <summary>
/// The context the SQL Server migrations (Ops.Storage.SqlServer/Migrations) belong to, apart from SQLite's and
/// PostgreSQL's so EF Core never mixes their histories. Like theirs, the schema is raw SQL in hand-written
/// migrations, not a mapped model.
/// </summary>
internal sealed class SqlServerMigrationsContext(DbContextOptions<SqlServerMigrationsContext> options) : DbContext(options);
