using Ops.Core.Envelopes;
using Ops.Core.Packs;

namespace Ops.Core.Projections;

/// <summary>
/// Where a document lives within its projection: the tenant and mode of the events folded into it
/// (their envelope scope, seed 001) and the key the pack's <c>KeyOf</c> gave. The primary key of
/// <c>projection_documents</c> is (projection, tenant_id, mode, doc_key).
/// </summary>
/// <param name="TenantId">The events' tenant, or <see cref="AllTenants"/> for a projection that spans tenants.</param>
/// <param name="Mode">The events' mode.</param>
/// <param name="Key">The pack's document key.</param>
public readonly record struct DocumentAddress(string TenantId, string Mode, string Key)
{
    /// <summary>
    /// tenant_id of every document of a <see cref="ProjectionTenancy.SpansTenants"/> projection. A
    /// projection is either per tenant or spanning, never both, so this never meets a real tenant's rows.
    /// </summary>
    public const string AllTenants = "*";

    /// <summary>Orders by tenant, mode, key (ordinal): the primary key's order, so writes walk its B-tree in order.</summary>
    public static IComparer<DocumentAddress> Ordinal { get; } = Comparer<DocumentAddress>.Create(static (a, b) =>
    {
        var byTenant = string.CompareOrdinal(a.TenantId, b.TenantId);
        if (byTenant != 0)
        {
            return byTenant;
        }

        var byMode = string.CompareOrdinal(a.Mode, b.Mode);
        return byMode != 0 ? byMode : string.CompareOrdinal(a.Key, b.Key);
    });

    /// <summary>The address an event of <paramref name="projection"/> with key <paramref name="key"/> folds into.</summary>
    internal static DocumentAddress Of(ProjectionRegistration projection, EventEnvelope envelope, string key) =>
        new(projection.Tenancy == ProjectionTenancy.SpansTenants ? AllTenants : envelope.Scope.TenantId, envelope.Scope.Mode, key);

    /// <summary><c>tenant/mode/key</c>, for messages.</summary>
    public override string ToString() => $"{TenantId}/{Mode}/{Key}";
}
