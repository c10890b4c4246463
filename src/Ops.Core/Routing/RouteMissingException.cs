namespace Ops.Core.Routing;

/// <summary>
/// A resource kind has no route (seed 001: a missing route is a hard failure at start and on first
/// use; there is no fallback). Nothing was opened or written.
/// </summary>
public sealed class RouteMissingException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="resourceKinds">The kinds without a route.</param>
    public RouteMissingException(IReadOnlyList<string> resourceKinds)
        : base(BuildMessage(resourceKinds))
    {
        ResourceKinds = resourceKinds;
    }

    /// <summary>The kinds without a route.</summary>
    public IReadOnlyList<string> ResourceKinds { get; }

    private static string BuildMessage(IReadOnlyList<string> kinds)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        var list = string.Join(", ", kinds.Select(k => $"'{k}'"));
        var example = kinds.Count > 0 ? kinds[0] : "event_log";
        return $"No route for resource kind {list}. Add one per kind to configuration, for example " +
               $"Ops:Routes:{example}:Provider=sqlite and Ops:Routes:{example}:ConnectionString=\"Data Source=data/ops.db\". " +
               "There is no default fallback; nothing was started.";
    }
}
