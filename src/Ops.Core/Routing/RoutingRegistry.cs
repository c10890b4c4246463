using Microsoft.Extensions.Configuration;

namespace Ops.Core.Routing;

/// <summary>
/// The sole backend selector (seed 001): every resource kind is routed explicitly under
/// <c>Ops:Routes</c>. A missing route throws <see cref="RouteMissingException"/>; a <c>memory</c> route
/// outside mode <c>lab</c> throws <see cref="InvalidOperationException"/>.
/// </summary>
internal sealed class RoutingRegistry
{
    /// <summary>The kinds the kernel itself always needs.</summary>
    public static readonly IReadOnlyList<string> CoreKinds = ["event_log", "projections"];

    private readonly Dictionary<string, ResolvedRoute> _routes = new(StringComparer.Ordinal);

    public RoutingRegistry(IConfiguration opsSection, string mode, string contentRoot)
    {
        Mode = mode;
        foreach (var child in opsSection.GetSection("Routes").GetChildren())
        {
            var options = new RouteOptions();
            child.Bind(options);
            _routes[child.Key] = ResolvedRoute.Create(child.Key, options, mode, contentRoot);
        }
    }

    public string Mode { get; }

    public IEnumerable<ResolvedRoute> All => _routes.Values;

    public ResolvedRoute Resolve(string resourceKind) =>
        _routes.TryGetValue(resourceKind, out var route) ? route : throw new RouteMissingException([resourceKind]);

    /// <summary>Fails with every missing kind named at once, so an operator fixes configuration in one pass.</summary>
    public void EnsureRouted(IEnumerable<string> resourceKinds)
    {
        var missing = resourceKinds.Distinct(StringComparer.Ordinal).Where(k => !_routes.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            throw new RouteMissingException(missing);
        }
    }
}

/// <summary>A validated route.</summary>
internal sealed record ResolvedRoute(string ResourceKind, string Provider, string ConnectionString, bool IsLab)
{
    public string Label => IsLab ? $"{Provider} (LAB: not durable)" : Provider;

    public static ResolvedRoute Create(string kind, RouteOptions options, string mode, string contentRoot)
    {
        switch (options.Provider?.Trim().ToLowerInvariant())
        {
            case "sqlite":
                if (string.IsNullOrWhiteSpace(options.ConnectionString))
                {
                    throw new InvalidOperationException($"Route '{kind}' uses provider sqlite but has no ConnectionString (Ops:Routes:{kind}:ConnectionString). Nothing was started.");
                }

                return new ResolvedRoute(kind, "sqlite", Storage.Sqlite.SqliteDatabase.ResolveFileConnectionString(options.ConnectionString, contentRoot), false);
            case "postgres":
                if (string.IsNullOrWhiteSpace(options.ConnectionString))
                {
                    throw new InvalidOperationException($"Route '{kind}' uses provider postgres but has no ConnectionString (Ops:Routes:{kind}:ConnectionString, an Npgsql connection string such as Host=db1;Database=ops;Username=ops). Nothing was started.");
                }

                try
                {
                    _ = new Npgsql.NpgsqlConnectionStringBuilder(options.ConnectionString);
                }
                catch (ArgumentException)
                {
                    // Not echoed: the string may hold a password.
                    throw new InvalidOperationException($"Route '{kind}' uses provider postgres, but its ConnectionString does not parse as an Npgsql connection string. Nothing was started.");
                }

                return new ResolvedRoute(kind, "postgres", options.ConnectionString, false);
            case "sqlserver":
                if (string.IsNullOrWhiteSpace(options.ConnectionString))
                {
                    throw new InvalidOperationException($"Route '{kind}' uses provider sqlserver but has no ConnectionString (Ops:Routes:{kind}:ConnectionString, a SqlClient connection string such as Server=db1;Database=ops;User ID=ops;Password=...;Encrypt=true). Nothing was started.");
                }

                try
                {
                    _ = new Microsoft.Data.SqlClient.SqlConnectionStringBuilder(options.ConnectionString);
                }
                catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
                {
                    // Not echoed: the string may hold a password.
                    throw new InvalidOperationException($"Route '{kind}' uses provider sqlserver, but its ConnectionString does not parse as a SqlClient connection string. Nothing was started.");
                }

                return new ResolvedRoute(kind, "sqlserver", options.ConnectionString, false);
            case "memory":
                if (!string.Equals(mode, "lab", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"Route '{kind}' uses provider memory, which exists only in mode 'lab' (seed 001: no downgrade to memory); the mode is '{mode}'. Route it to sqlite, or set Ops:Mode=lab for an explicitly non-durable run. Nothing was started.");
                }

                var name = string.IsNullOrWhiteSpace(options.ConnectionString) ? kind : options.ConnectionString.Trim();
                return new ResolvedRoute(kind, "memory", $"Data Source=ops-lab-{name};Mode=Memory;Cache=Shared", true);
            default:
                throw new InvalidOperationException($"Route '{kind}' has provider '{options.Provider}'; supported providers are sqlite, postgres, sqlserver and memory (lab only). Nothing was started.");
        }
    }
}
