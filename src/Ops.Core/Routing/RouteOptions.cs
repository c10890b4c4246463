namespace Ops.Core.Routing;

/// <summary>Where one resource kind lives (configuration <c>Ops:Routes:&lt;kind&gt;</c>, seed 001).</summary>
public sealed class RouteOptions
{
    /// <summary><c>sqlite</c> (a file, durable), <c>postgres</c> (a server shared by several workers), <c>sqlserver</c> (SQL Server; built and its script checked, see docs/operations.md) or <c>memory</c> (lab mode only, labelled wherever it shows).</summary>
    /// <value>No default: a route must name its provider.</value>
    public string? Provider { get; set; }

    /// <summary>Provider connection string, for example <c>Data Source=data/ops.db</c> (sqlite) , <c>Host=db1;Database=ops;Username=ops</c> (postgres, Npgsql syntax) or <c>Server=db1;Database=ops;User ID=ops;Password=...;Encrypt=true</c> (sqlserver, SqlClient syntax); for <c>memory</c> an optional name.</summary>
    /// <value>No default.</value>
    public string? ConnectionString { get; set; }
}
