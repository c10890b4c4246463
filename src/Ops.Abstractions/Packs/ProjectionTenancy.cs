namespace Ops.Core.Packs;

/// <summary>
/// Which tenants' events one projection document may combine (seed 001: identity scope on every record,
/// tenant and mode enforced server-side). The kernel stores every document under the tenant and mode
/// of the events folded into it, taken from each event's envelope scope
/// (<see cref="Envelopes.EventEnvelope.Scope"/>), and scopes every read to the caller's server-derived
/// tenant and the host's mode. A pack does nothing for this and cannot forget it.
/// </summary>
public enum ProjectionTenancy
{
    /// <summary>
    /// The default. Documents are kept per (tenant, mode): an event of tenant A is folded only into
    /// tenant A's document with that key, so a fold never sees another tenant's document, and a reader
    /// (<see cref="IProjectionReader"/> in a query or a command handler) returns only the caller's
    /// tenant's documents. The same key may exist once per tenant.
    /// </summary>
    PerTenant = 0,

    /// <summary>
    /// Documents combine the events of every tenant (still one set per mode): for operator views such
    /// as counts across tenants. Every read of such a projection needs a READ capability of the caller
    /// that allows action <c>core.ReadAcrossTenants</c> on target <c>projection:&lt;projection name&gt;</c>;
    /// without one the read throws <see cref="Errors.OpsException"/> with
    /// <see cref="Errors.ReasonCodes.CapabilityDenied"/> (a query answers 403, a command is rejected).
    /// </summary>
    SpansTenants = 1,
}
