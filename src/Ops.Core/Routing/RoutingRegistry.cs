using Microsoft.Extensions.Configuration;
using Ops.Core.Errors;
using Ops.Core.Storage;

namespace Ops.Core.Routing;

/// <summary>
/// The sole backend selector (seed 001): every resource kind is routed explicitly under
/// <c>Ops:Routes</c>. A missing route throws <see cref="RouteMissingException"/>; a <c>memory</c> route
/// outside mode <c>lab</c> throws <see cref="OpsException"/> (<see cref="ReasonCodes.ConfigurationInvalid"/>). Each route is resolved by the registered
/// provider that answers its provider name (<see cref="StorageProviders"/>).
/// </summary>
internal sealed class RoutingRegistry
{
    /// <summary>The kinds the kernel itself always needs.</summary>
    public static readonly IReadOnlyList<string> CoreKinds = ["event_log", "projections"];

    private readonly Dictionary<string, ResolvedRoute> _routes = new(StringComparer.Ordinal);

    public RoutingRegistry(IConfiguration opsSection, string mode, string contentRoot, StorageProviders providers)
    {
        Mode = mode;
        Providers = providers;
        foreach (var child in opsSection.GetSection("Routes").GetChildren())
        {
            var options = new RouteOptions();
            child.Bind(options);
            var name = options.Provider?.Trim().ToLowerInvariant();
            if (string.IsNullOrEmpty(name))
            {
                throw new OpsException(ReasonCodes.ConfigurationInvalid, $"Route '{child.Key}' names no provider (Ops:Routes:{child.Key}:Provider); the providers registered are {string.Join(", ", providers.Names.Order(StringComparer.Ordinal))}. Nothing was started.");
            }

            var route = providers.For(name, child.Key).Resolve(child.Key, name, options, contentRoot);
            if (route.IsLab && !string.Equals(mode, "lab", StringComparison.Ordinal))
            {
                throw new OpsException(ReasonCodes.ConfigurationInvalid, $"Route '{child.Key}' uses provider {name}, which exists only in mode 'lab' (seed 001: no downgrade to memory); the mode is '{mode}'. Route it to a durable provider, or set Ops:Mode=lab for an explicitly non-durable run. Nothing was started.");
            }

            _routes[child.Key] = route;
        }
    }

    public string Mode { get; }

    /// <summary>The providers the routes were resolved with; they open the engines.</summary>
    public StorageProviders Providers { get; }

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

/// <summary>
/// A validated route (seed 001): the resource kind, the provider name, and the connection string the provider resolved
/// (relative paths made absolute). Its text form never shows the connection string, which may hold a password.
/// </summary>
/// <param name="ResourceKind">The routed kind, for example <c>event_log</c>.</param>
/// <param name="Provider">The provider's name, lowercase (<c>sqlite</c>, <c>memory</c>, <c>postgres</c>, <c>sqlserver</c>).</param>
/// <param name="ConnectionString">The provider's connection string; a secret when it holds a password: never log it.</param>
/// <param name="IsLab">Whether the database is not durable (lab mode only).</param>
public sealed record ResolvedRoute(string ResourceKind, string Provider, string ConnectionString, bool IsLab)
{
    /// <summary>The provider's name, with <c>(LAB: not durable)</c> for a lab route, for status lines.</summary>
    public string Label => IsLab ? $"{Provider} (LAB: not durable)" : Provider;

    /// <inheritdoc/>
    public override string ToString() => $"{ResourceKind} → {Label}";
}

/// <summary>The registered storage providers, by the names they answer (issue 21 item 1).</summary>
internal sealed class StorageProviders
{
    private readonly Dictionary<string, IStorageProvider> _byName = new(StringComparer.Ordinal);

    public StorageProviders(IEnumerable<IStorageProvider> providers)
    {
        ArgumentNullException.ThrowIfNull(providers);
        foreach (var provider in providers)
        {
            foreach (var name in provider.Names)
            {
                _byName.TryAdd(name, provider);
            }
        }
    }

    public IReadOnlyCollection<string> Names => _byName.Keys;

    /// <summary>The provider that answers <paramref name="name"/>.</summary>
    /// <exception cref="OpsException"><see cref="ReasonCodes.ConfigurationInvalid"/>: none is registered under that name.</exception>
    public IStorageProvider For(string name, string resourceKind) =>
        _byName.TryGetValue(name, out var provider)
            ? provider
            : throw new OpsException(ReasonCodes.ConfigurationInvalid, _byName.Count == 0
                ? $"Route '{resourceKind}' has provider '{name}', but no storage provider is registered: add one to the kernel (builder.UseSqlite(), UsePostgreSQL() or UseSqlServer(), from the AlignTrue.Ops.Storage.* packages). Nothing was started."
                : $"Route '{resourceKind}' has provider '{name}'; the providers registered are {string.Join(", ", _byName.Keys.Order(StringComparer.Ordinal))}. Nothing was started.");

    /// <summary>Opens the engine of <paramref name="route"/>.</summary>
    public IStorageEngine Open(ResolvedRoute route, StorageContext context) => For(route.Provider, route.ResourceKind).Open(route, context);
}
