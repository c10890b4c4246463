namespace Ops.Core.Routing;

/// <summary>Where one resource kind lives (configuration <c>Ops:Routes:&lt;kind&gt;</c>, seed 001).</summary>
public sealed class RouteOptions
{
    /// <summary><c>sqlite</c> (a file, durable), <c>postgres</c> (a server shared by several workers) or <c>memory</c> (lab mode only, labelled wherever it shows).</summary>
    /// <value>No default: a route must name its provider.</value>
    public string? Provider { get; set; }

    /// <summary>Provider connection string, for example <c>Data Source=data/ops.db</c> (sqlite) or <c>Host=db1;Database=ops;Username=ops</c> (postgres, Npgsql syntax); for <c>memory</c> an optional name.</summary>
    /// <value>No default.</value>
    public string? ConnectionString { get; set; }
}
