namespace Ops.Core.Envelopes;

/// <summary>
/// Typed dedupe scope (constitution A3): <c>('connector', connector_id, stream)</c>,
/// <c>('egress', destination, tenant_id)</c> or <c>('command', aggregate_ref)</c>.
/// </summary>
/// <param name="Kind">Which of the three scopes.</param>
/// <param name="Key">connector_id, destination or aggregate_ref.</param>
/// <param name="Qualifier">stream for connectors, tenant_id for egress, <see langword="null"/> for commands.</param>
public sealed record DedupeScope(DedupeScopeKind Kind, string Key, string? Qualifier = null)
{
    /// <summary>The command scope of an aggregate.</summary>
    /// <param name="aggregateRef">The aggregate (stream or target) reference.</param>
    /// <returns>A <see cref="DedupeScopeKind.Command"/> scope.</returns>
    public static DedupeScope ForCommand(string aggregateRef) => new(DedupeScopeKind.Command, aggregateRef);
}

/// <summary>The three dedupe scope kinds of constitution A3.</summary>
public enum DedupeScopeKind
{
    /// <summary>('command', aggregate_ref).</summary>
    Command = 1,

    /// <summary>('connector', connector_id, stream).</summary>
    Connector = 2,

    /// <summary>('egress', destination, tenant_id).</summary>
    Egress = 3,
}
