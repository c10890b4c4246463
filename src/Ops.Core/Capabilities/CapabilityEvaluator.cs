using Ops.Core.Envelopes;

namespace Ops.Core.Capabilities;

/// <summary>
/// Evaluates a capability as of an instant (constitution A4): with the current time for
/// enforcement, with a past time for audit. Only events whose occurred_at is at or before the
/// instant count. A delegation is valid only while its whole parent chain is, and allows only what
/// every capability in the chain allows.
/// </summary>
internal static class CapabilityEvaluator
{
    private const int MaxChainDepth = 16;

    public static CapabilityView? StateAt(CoreState state, string capabilityId, DateTimeOffset at)
    {
        if (!state.Capabilities.TryGetValue(capabilityId, out var history))
        {
            return null;
        }

        CapabilityGranted? grant = null;
        CapabilityScope? scope = null;
        string? stateRef = null;
        string? revokedReason = null;
        var expiredRecorded = false;
        foreach (var record in history)
        {
            var e = record.Envelope;
            if (e.OccurredAt > at)
            {
                continue;
            }

            switch (record.Payload)
            {
                case CapabilityGranted granted:
                    grant = granted;
                    scope = granted.Scope;
                    stateRef = e.EventId;
                    break;
                case CapabilityScopeChanged changed:
                    scope = changed.Scope;
                    stateRef = e.EventId;
                    break;
                case CapabilityRevoked revoked:
                    revokedReason ??= revoked.Reason;
                    break;
                case CapabilityExpired:
                    expiredRecorded = true;
                    break;
                default:
                    break;
            }
        }

        if (grant is null || scope is null || stateRef is null)
        {
            return null;
        }

        string? invalid = null;
        if (revokedReason is not null)
        {
            invalid = $"capability {Short(capabilityId)} was revoked ({revokedReason})";
        }
        else if (expiredRecorded || (grant.ExpiresAt is { } expires && at >= expires))
        {
            invalid = $"capability {Short(capabilityId)} expired at {grant.ExpiresAt:O}";
        }
        else if (at < grant.NotBefore)
        {
            invalid = $"capability {Short(capabilityId)} is not valid before {grant.NotBefore:O}";
        }

        return new CapabilityView(capabilityId, grant, scope, stateRef, invalid);
    }

    /// <summary>The capability's current state: every event recorded so far counts (for handlers deciding on current state).</summary>
    public static CapabilityView? Latest(CoreState state, string capabilityId) => StateAt(state, capabilityId, DateTimeOffset.MaxValue);

    /// <summary>Decides whether <paramref name="capabilityId"/> allows the action at <paramref name="at"/>; returns the reason when not.</summary>
    public static CapabilityDecision Evaluate(CoreState state, string capabilityId, string actorId, string actionType, string targetRef, SafetyClass safetyClass, DateTimeOffset at)
    {
        var own = StateAt(state, capabilityId, at);
        if (own is null)
        {
            return CapabilityDecision.Deny($"capability {Short(capabilityId)} does not exist as of {at:O}");
        }

        if (!string.Equals(own.Grant.HolderActorId, actorId, StringComparison.Ordinal))
        {
            return CapabilityDecision.Deny($"capability {Short(capabilityId)} is held by '{own.Grant.HolderActorId}', not '{actorId}'");
        }

        var current = own;
        for (var depth = 0; current is not null; depth++)
        {
            if (depth > MaxChainDepth)
            {
                return CapabilityDecision.Deny($"capability {Short(capabilityId)} has a delegation chain deeper than {MaxChainDepth}");
            }

            if (current.InvalidReason is not null)
            {
                return CapabilityDecision.Deny(current == own ? current.InvalidReason : $"its parent {current.InvalidReason}");
            }

            if (!Allows(current.Scope, actionType, targetRef, safetyClass, out var why))
            {
                return CapabilityDecision.Deny(current == own ? $"capability {Short(capabilityId)} {why}" : $"parent capability {Short(current.CapabilityId)} {why}");
            }

            if (current.Grant.ParentCapabilityId is null)
            {
                break;
            }

            var parent = StateAt(state, current.Grant.ParentCapabilityId, at);
            if (parent is null)
            {
                return CapabilityDecision.Deny($"parent capability {Short(current.Grant.ParentCapabilityId)} does not exist as of {at:O}");
            }

            current = parent;
        }

        return CapabilityDecision.Allow(capabilityId, own.StateRef);
    }

    /// <summary>Why the capability or one of its ancestors is not valid at <paramref name="at"/>; null when the whole chain is.</summary>
    public static string? ChainInvalidReason(CoreState state, string capabilityId, DateTimeOffset at)
    {
        var id = capabilityId;
        for (var depth = 0; depth <= MaxChainDepth; depth++)
        {
            var view = StateAt(state, id, at);
            if (view is null)
            {
                return $"capability {Short(id)} does not exist as of {at:O}";
            }

            if (view.InvalidReason is not null)
            {
                return id == capabilityId ? view.InvalidReason : "its parent " + view.InvalidReason;
            }

            if (view.Grant.ParentCapabilityId is not { } parent)
            {
                return null;
            }

            id = parent;
        }

        return $"capability {Short(capabilityId)} has a delegation chain deeper than {MaxChainDepth}";
    }

    /// <summary>The first of the actor's capabilities that allows the action, or the reason none does.</summary>
    public static CapabilityDecision FindFor(CoreState state, string actorId, string actionType, string targetRef, SafetyClass safetyClass, DateTimeOffset at)
    {
        var held = state.CapabilitiesOf(actorId);
        foreach (var id in held)
        {
            // Cheap filter first: most of an actor's capabilities do not even cover the action, and
            // building their denial reasons cost more than the checks (1,000 grants: 373 µs, 0.5 MB).
            if (StateAt(state, id, at) is not { } view || !Covers(view.Scope, actionType, targetRef, safetyClass))
            {
                continue;
            }

            var decision = Evaluate(state, id, actorId, actionType, targetRef, safetyClass, at);
            if (decision.Allowed)
            {
                return decision;
            }
        }

        if (held.Count == 0)
        {
            return CapabilityDecision.Deny($"actor '{actorId}' holds no capability");
        }

        var first = Evaluate(state, held[0], actorId, actionType, targetRef, safetyClass, at);
        return CapabilityDecision.Deny($"no capability of actor '{actorId}' allows {actionType} on '{targetRef}' ({first.Reason ?? "its parent chain does not"})");
    }

    private static bool Covers(CapabilityScope scope, string actionType, string targetRef, SafetyClass safetyClass) =>
        ScopePatterns.AnyMatches(scope.CommandTypes, actionType) && ScopePatterns.AnyMatches(scope.Targets, targetRef) && scope.SafetyClasses.Contains(safetyClass);

    public static bool Allows(CapabilityScope scope, string actionType, string targetRef, SafetyClass safetyClass, out string? why)
    {
        why = null;
        if (!ScopePatterns.AnyMatches(scope.CommandTypes, actionType))
        {
            why = $"does not cover type {actionType}";
        }
        else if (!ScopePatterns.AnyMatches(scope.Targets, targetRef))
        {
            why = $"does not cover target '{targetRef}'";
        }
        else if (!scope.SafetyClasses.Contains(safetyClass))
        {
            why = $"does not allow safety class {safetyClass}";
        }

        return why is null;
    }

    public static string Short(string id) => id.Length > 12 ? id[..12] : id;
}

/// <summary>A capability's state as of an instant.</summary>
internal sealed record CapabilityView(string CapabilityId, CapabilityGranted Grant, CapabilityScope Scope, string StateRef, string? InvalidReason)
{
    public bool IsValid => InvalidReason is null;
}

/// <summary>Allowed with the capability and its state ref, or denied with a reason.</summary>
internal sealed record CapabilityDecision(bool Allowed, string? CapabilityId, string? StateRef, string? Reason)
{
    public static CapabilityDecision Allow(string capabilityId, string stateRef) => new(true, capabilityId, stateRef, null);

    public static CapabilityDecision Deny(string reason) => new(false, null, null, reason);
}
