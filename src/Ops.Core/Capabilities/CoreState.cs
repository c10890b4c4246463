using System.Collections.Immutable;
using Ops.Core.Consent;
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
    ImmutableDictionary<string, ImmutableList<CapabilityRecord>> SignerKeys,
    ImmutableDictionary<string, ImmutableList<CapabilityRecord>> Policies,
    long Position)
{
    public static CoreState Empty { get; } = new(
        ImmutableDictionary.Create<string, ActorRegistered>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, ApiKeyIssued>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, ImmutableList<CapabilityRecord>>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, ImmutableList<string>>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, ImmutableList<CapabilityRecord>>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, ImmutableList<CapabilityRecord>>(StringComparer.Ordinal),
        0);

    /// <summary>Installed packs by id (core.PackInstalled / core.PackRemoved), for the loader and the install handlers.</summary>
    public ImmutableDictionary<string, Ops.Core.Packs.Install.PackInstalled> Packs { get; init; } = Ops.Core.Packs.Install.InstalledPacks.Empty;

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
            case ConsentEventTypes.SignerKeyRegistered:
                var signerKey = e.PayloadAs<SignerKeyRegistered>();
                return next with { SignerKeys = Add(SignerKeys, signerKey.KeyId, new CapabilityRecord(logged.Position, e, signerKey)) };
            case ConsentEventTypes.SignerKeyRevoked:
                var revokedKey = e.PayloadAs<SignerKeyRevoked>();
                return next with { SignerKeys = Add(SignerKeys, revokedKey.KeyId, new CapabilityRecord(logged.Position, e, revokedKey)) };
            case ConsentEventTypes.PolicyCreated:
                var created = e.PayloadAs<PolicyCreated>();
                return next with { Policies = Add(Policies, created.PolicyId, new CapabilityRecord(logged.Position, e, created)) };
            case ConsentEventTypes.PolicyActivated:
                var activated = e.PayloadAs<PolicyActivated>();
                return next with { Policies = Add(Policies, activated.PolicyId, new CapabilityRecord(logged.Position, e, activated)) };
            case ConsentEventTypes.PolicyDeprecated:
                var deprecated = e.PayloadAs<PolicyDeprecated>();
                return next with { Policies = Add(Policies, deprecated.PolicyId, new CapabilityRecord(logged.Position, e, deprecated)) };
            default:
                return Ops.Core.Packs.Install.InstalledPacks.Apply(next, e);
        }
    }

    private static ImmutableDictionary<string, ImmutableList<CapabilityRecord>> Add(ImmutableDictionary<string, ImmutableList<CapabilityRecord>> map, string id, CapabilityRecord record) =>
        map.SetItem(id, (map.TryGetValue(id, out var list) ? list : []).Add(record));

    /// <summary>The key as of <paramref name="at"/>: registered at or before it, and the revocation in force then, if any.</summary>
    public (SignerKeyRegistered? Key, SignerKeyRevoked? Revoked) SignerKeyAt(string keyId, DateTimeOffset at)
    {
        if (!SignerKeys.TryGetValue(keyId, out var history))
        {
            return (null, null);
        }

        var key = history.Where(r => r.Envelope.OccurredAt <= at).Select(r => r.Payload).OfType<SignerKeyRegistered>().FirstOrDefault();
        var revoked = history.Where(r => r.Envelope.OccurredAt <= at).Select(r => r.Payload).OfType<SignerKeyRevoked>().FirstOrDefault();
        return (key, revoked);
    }

    /// <summary>Every version of a policy with its status as of <paramref name="at"/>.</summary>
    public IReadOnlyList<PolicyState> PolicyVersionsAt(string policyId, DateTimeOffset at)
    {
        if (!Policies.TryGetValue(policyId, out var history))
        {
            return [];
        }

        var versions = new SortedDictionary<int, PolicyState>();
        foreach (var record in history.Where(r => r.Envelope.OccurredAt <= at))
        {
            switch (record.Payload)
            {
                case PolicyCreated c:
                    versions[c.Version] = new PolicyState(c.PolicyId, c.Name, c.Version, c.Scope, "draft");
                    break;
                case PolicyActivated a when versions.TryGetValue(a.Version, out var draft):
                    foreach (var other in versions.Values.Where(v => v.Status == "active").ToList())
                    {
                        versions[other.Version] = other with { Status = "deprecated" };
                    }

                    versions[a.Version] = draft with { Status = "active" };
                    break;
                case PolicyDeprecated d when versions.TryGetValue(d.Version, out var version):
                    versions[d.Version] = version with { Status = "deprecated" };
                    break;
                default:
                    break;
            }
        }

        return versions.Values.ToList();
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
