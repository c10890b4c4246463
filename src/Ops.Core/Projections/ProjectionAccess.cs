using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Ops.Core.Errors;

namespace Ops.Core.Projections;

/// <summary>
/// Whom a projection read is for: the caller's server-derived tenant (from the authenticated actor)
/// and the host's mode (seed 001 §5), and what decides whether the caller may read a projection that
/// spans tenants. The kernel builds one for every query and every command decision; a pack never does.
/// </summary>
/// <param name="TenantId">The caller's tenant, from its registered actor.</param>
/// <param name="Mode">The host's mode.</param>
/// <param name="ActorId">The authenticated actor.</param>
/// <param name="Core">Kernel state the capability check runs on (committed state for queries, the writer's for commands).</param>
/// <param name="Now">The instant capabilities are evaluated at.</param>
internal sealed record ProjectionAccess(string TenantId, string Mode, string ActorId, CoreState Core, DateTimeOffset Now)
{
    /// <summary>The READ action a capability must allow to read a <see cref="Packs.ProjectionTenancy.SpansTenants"/> projection.</summary>
    public const string ReadAcrossTenantsAction = "core.ReadAcrossTenants";

    /// <summary>The target that action must be allowed on: <c>projection:&lt;projection name&gt;</c>.</summary>
    public static string TargetOf(string projectionName) => "projection:" + projectionName;

    /// <summary>Throws <see cref="OpsException"/> (<see cref="ReasonCodes.CapabilityDenied"/>) unless a capability of the caller names the projection.</summary>
    public CapabilityDecision RequireAcrossTenants(string projectionName)
    {
        var decision = CapabilityEvaluator.FindFor(Core, ActorId, ReadAcrossTenantsAction, TargetOf(projectionName), SafetyClass.Read, Now);
        return decision.Allowed
            ? decision
            : throw new OpsException(
                ReasonCodes.CapabilityDenied,
                $"{projectionName} spans tenants: reading it needs a READ capability for {ReadAcrossTenantsAction} on {TargetOf(projectionName)} ({decision.Reason}). Nothing was read.");
    }
}
