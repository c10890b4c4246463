using System.Collections.Immutable;
using Ops.Core.Envelopes;

namespace Ops.Core.Capabilities;

/// <summary>
/// The kernel's own state folded from core.* events: actors, API keys and the full history of every
/// capability. Immutable, so a writer batch can work on a copy and roll back by dropping it.
/// </summary>
internal sealed record CoreState(
    ImmutableDictionary<string, ActorRegistered> Actors,
    ImmutableDictionary<string, ApiKeyIssued> ApiKeys,
    ImmutableDictionary<string, ImmutableList<CapabilityRecord>> Capabilities,
    ImmutableDictionary<string, ImmutableList<string>> CapabilitiesByHolder,
    long Position)
{
    public static CoreState Empty { get; } = new(
        ImmutableDictionary.Create<string, ActorRegistered>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, ApiKeyIssued>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, ImmutableList<CapabilityRecord>>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, ImmutableList<string>>(StringComparer.Ordinal),
        0);

    public CoreState Apply(LoggedEvent logged)
    {
        var e = logged.Envelope;
        var next = this with { Position = Math.Max(Position, logged.Position) };
        switch (e.EventType)
        {
            case CoreEventTypes.ActorRegistered:
                var actor = e.PayloadAs<ActorRegistered>();
                return next with { Actors = Actors.SetItem(actor.ActorId, actor) };
            case CoreEventTypes.ApiKeyIssued:
                var key = e.PayloadAs<ApiKeyIssued>();
                return next with { ApiKeys = ApiKeys.SetItem(key.KeyId, key) };
            case CoreEventTypes.CapabilityGranted:
                var grant = e.PayloadAs<CapabilityGranted>();
                var held = CapabilitiesByHolder.TryGetValue(grant.HolderActorId, out var list) ? list : [];
                return next.AddCapabilityEvent(grant.CapabilityId, e, logged.Position, grant) with
                {
                    CapabilitiesByHolder = CapabilitiesByHolder.SetItem(grant.HolderActorId, held.Add(grant.CapabilityId)),
                };
            case CoreEventTypes.CapabilityScopeChanged:
                var change = e.PayloadAs<CapabilityScopeChanged>();
                return next.AddCapabilityEvent(change.CapabilityId, e, logged.Position, change);
            case CoreEventTypes.CapabilityRevoked:
                var revoke = e.PayloadAs<CapabilityRevoked>();
                return next.AddCapabilityEvent(revoke.CapabilityId, e, logged.Position, revoke);
            case CoreEventTypes.CapabilityExpired:
                var expired = e.PayloadAs<CapabilityExpired>();
                return next.AddCapabilityEvent(expired.CapabilityId, e, logged.Position, expired);
            default:
                return next;
        }
    }

    private CoreState AddCapabilityEvent(string capabilityId, EventEnvelope e, long position, object payload)
    {
        var list = Capabilities.TryGetValue(capabilityId, out var existing) ? existing : [];
        return this with { Capabilities = Capabilities.SetItem(capabilityId, list.Add(new CapabilityRecord(position, e, payload))) };
    }

    /// <summary>Capabilities granted to an actor, in grant order.</summary>
    public IReadOnlyList<string> CapabilitiesOf(string actorId) =>
        CapabilitiesByHolder.TryGetValue(actorId, out var list) ? list : [];
}

/// <summary>One core event about a capability, with its log position and decoded payload.</summary>
internal sealed record CapabilityRecord(long Position, EventEnvelope Envelope, object Payload);
