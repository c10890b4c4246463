using Microsoft.EntityFrameworkCore;

namespace Ops.Packs.Evil;

/// <summary>Planted: a pack's own EF Core context.</summary>
internal sealed class SideDbContext(DbContextOptions<SideDbContext> options) : DbContext(options);
