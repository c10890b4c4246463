using Microsoft.EntityFrameworkCore;

namespace Ops.Storage.PostgreSQL;

/// <summary>
/// The context the PostgreSQL migrations (Ops.Storage.PostgreSQL/Migrations) belong to; the SQLite ones belong to
/// SQLite's <c>OpsDbContext</c>, so EF Core never mixes the two histories. Like SQLite's, the schema is raw SQL in
/// hand-written migrations, not a mapped model.
/// </summary>
internal sealed class PostgresMigrationsContext(DbContextOptions<PostgresMigrationsContext> options) : DbContext(options);
