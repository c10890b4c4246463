using Ops.Core.Routing;
using Ops.Core.Storage.Sqlite;

namespace Ops.Core.Storage;

/// <summary>Opens the engine a route names (seed 001: the routing registry is the sole backend selector).</summary>
internal static class StorageEngines
{
    /// <summary>The engine for <paramref name="route"/>, not yet migrated.</summary>
    /// <exception cref="InvalidOperationException">The route's provider has no engine in this build.</exception>
    public static IStorageEngine Open(ResolvedRoute route, string synchronous, TimeProvider time) => route.Provider switch
    {
        "sqlite" or "memory" => new SqliteEngine(new SqliteDatabase(route.ConnectionString, synchronous), time),
        "postgres" => Postgres.PostgresEngine.Create(route),
        "sqlserver" => SqlServer.SqlServerEngine.Create(route),
        _ => throw new InvalidOperationException($"Route '{route.ResourceKind}' names provider '{route.Provider}', which has no storage engine in this build. Nothing was started."),
    };
}
