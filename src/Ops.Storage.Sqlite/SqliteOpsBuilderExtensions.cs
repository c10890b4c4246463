using Ops.Storage.Sqlite;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the SQLite provider to the kernel: <c>services.AddOps(configuration).UseSqlite()</c>.</summary>
public static class SqliteOpsBuilderExtensions
{
    /// <summary>Routes naming <c>sqlite</c> or <c>memory</c> (<c>Ops:Routes:&lt;kind&gt;:Provider</c>) open SQLite databases (<see cref="SqliteStorageProvider"/>).</summary>
    /// <param name="builder">The kernel's builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static IOpsBuilder UseSqlite(this IOpsBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseStorage(new SqliteStorageProvider());
    }
}
