using Ops.Core.Capabilities;
using Ops.Core.Errors;

namespace Ops.Core.Commands.Pipeline;

/// <summary>
/// Stage 4: the capability as of <c>now</c> for the command on the object it acts on (constitution A4).
/// A command that confers scope (grant, delegation, scope change) also needs a capability whose whole
/// chain covers what it confers (no escalation); a delegation is authorized by the parent it names,
/// which the caller must hold. Pure.
/// </summary>
internal static class AuthorizeStage
{

    public static StageResult<CapabilityDecision> Run(CoreState core, Validated validated, string actorId, string target, string? namedCapability, DateTimeOffset now)
    {
        var registration = validated.Registration;
        if (validated.Payload is DelegateCapability delegation)
        {
            return Delegation(core, delegation, actorId, now);
        }

        Func<string, string?>? confers = validated.Payload switch
        {
            GrantCapability grant => under => CapabilityEvaluator.Confer(core, under, grant.Scope, grant.NotBefore, grant.ExpiresAt, now).Problem,
            ChangeCapabilityScope change => under => CapabilityEvaluator.Confer(core, under, change.Scope, null, null, now).Problem,
            _ => null,
        };

        // Tenancy by construction (seed 001): a core command on an object of another tenant (an actor, its keys and
        // capabilities, or a new actor's tenant_id) needs a capability whose whole chain names that tenant.
        var crossing = CapabilityEvaluator.SpansTenants(registration.Name)
            ? "*"
            : ObjectTenant(core, validated.Payload, target) is { } tenant && core.Actors.TryGetValue(actorId, out var caller) && caller.TenantId != tenant ? tenant : null;
        CapabilityDecision decision;
        if (namedCapability is not null)
        {
            decision = CapabilityEvaluator.Evaluate(core, namedCapability, actorId, registration.Name, target, registration.SafetyClass, now);
            if (decision.Allowed && crossing is not null && CapabilityEvaluator.CrossingProblem(core, namedCapability, crossing, now) is { } outside)
            {
                return new Rejection(ReasonCodes.CapabilityDenied, outside);
            }

            if (decision.Allowed && confers?.Invoke(namedCapability) is { } problem)
            {
                return new Rejection(ReasonCodes.Escalation, problem);
            }
        }
        else
        {
            decision = CapabilityEvaluator.FindInTenant(core, actorId, registration.Name, target, registration.SafetyClass, now, crossing, confers);
            if (!decision.Allowed && confers is not null && decision.Reason is { } reason && ConfersButEscalates(core, actorId, registration, target, crossing, now))
            {
                return new Rejection(ReasonCodes.Escalation, reason);
            }
        }

        return decision.Allowed ? decision : new Rejection(ReasonCodes.CapabilityDenied, decision.Reason!);
    }

    /// <summary>
    /// After the handler decided: every stream the decision appends to must be the bound object or be
    /// covered by the same capability for the same action, evaluated at the same instant. So a handler
    /// that resolves its object (a note found by title, a note created under <c>note-new</c>) still acts
    /// only on what the caller may act on.
    /// </summary>
    public static string? CheckObject(CoreState core, Validated validated, string actorId, string target, string streamKey, CapabilityDecision capability, DateTimeOffset now)
    {
        if (string.Equals(streamKey, target, StringComparison.Ordinal))
        {
            return null;
        }

        var registration = validated.Registration;
        var onObject = CapabilityEvaluator.Evaluate(core, capability.CapabilityId!, actorId, registration.Name, streamKey, registration.SafetyClass, now);
        return onObject.Allowed ? null : $"the decision acts on '{streamKey}', which the authorizing capability does not cover ({onObject.Reason})";
    }

    private static StageResult<CapabilityDecision> Delegation(CoreState core, DelegateCapability command, string actorId, DateTimeOffset now)
    {
        var parent = CapabilityEvaluator.StateAt(core, command.ParentCapabilityId, now);
        if (parent is null || parent.Grant.HolderActorId != actorId)
        {
            return new Rejection(ReasonCodes.CapabilityDenied, $"'{actorId}' does not hold capability {CapabilityEvaluator.Short(command.ParentCapabilityId)}; only its holder can delegate from it");
        }

        if (CapabilityEvaluator.ChainInvalidReason(core, parent.CapabilityId, now) is { } invalid)
        {
            return new Rejection(ReasonCodes.CapabilityDenied, $"capability {CapabilityEvaluator.Short(parent.CapabilityId)} cannot be delegated now: {invalid}");
        }

        return CapabilityEvaluator.Confer(core, parent.CapabilityId, command.Scope, command.NotBefore, command.ExpiresAt, now).Problem is { } problem
            ? new Rejection(ReasonCodes.Escalation, problem)
            : CapabilityDecision.Allow(parent.CapabilityId, parent.StateRef);
    }

    /// <summary>Whether some capability allows the command itself, so the refusal is about what it would confer.</summary>
    private static bool ConfersButEscalates(CoreState core, string actorId, Packs.CommandRegistration registration, string target, string? crossing, DateTimeOffset now) =>
        CapabilityEvaluator.FindInTenant(core, actorId, registration.Name, target, registration.SafetyClass, now, crossing).Allowed;

    /// <summary>
    /// The tenant of the object a core command acts on: a new actor's declared tenant, or the tenant of the actor a core
    /// ref (<c>actor-&lt;id&gt;</c>, <c>actor-&lt;id&gt;:…</c>) names; null when the object is not an actor's (the command acts in its caller's tenant).
    /// </summary>
    private static string? ObjectTenant(CoreState core, object payload, string target)
    {
        if (payload is RegisterActor { TenantId: { } declared })
        {
            return declared;
        }

        if (!target.StartsWith("actor-", StringComparison.Ordinal))
        {
            return null;
        }

        var end = target.IndexOf(':', StringComparison.Ordinal);
        var actorId = end < 0 ? target["actor-".Length..] : target["actor-".Length..end];
        return core.Actors.TryGetValue(actorId, out var actor) ? actor.TenantId : null;
    }
}
