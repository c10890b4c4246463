using Microsoft.EntityFrameworkCore;

namespace Ops.Core.Storage.Postgres;

/// <summary>
/// The context the PostgreSQL migrations (Storage/Postgres/Migrations) belong to; the SQLite ones belong to
/// <see cref="Sqlite.OpsDbContext"/>, so EF Core never mixes the two histories. Like SQLite's, the schema is raw SQL in
/// hand-written migrations, not a mapped model.
/// </summary>
internal sealed class PostgresMigrationsContext(DbContextOptions<PostgresMigrationsContext> options) : DbContext(options);
