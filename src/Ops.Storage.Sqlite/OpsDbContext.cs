using Microsoft.EntityFrameworkCore;

namespace Ops.Storage.Sqlite;

/// <summary>
/// EF Core owns the schema through hand-written migrations (Microsoft.EntityFrameworkCore.Design is
/// not in the package mirror). Hot paths use this context's connection with prepared commands.
/// </summary>
internal sealed class OpsDbContext(DbContextOptions<OpsDbContext> options) : DbContext(options);
