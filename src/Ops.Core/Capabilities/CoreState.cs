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
    /// <summary>The latest occurred_at of the core events folded so far.</summary>
    public DateTimeOffset LatestOccurredAt { get; init; } = DateTimeOffset.MinValue;

    /// <summary>
    /// The instant enforcement decides at: the clock, but never before an event already in the log. The kernel stamps a
    /// stream's events strictly after its previous one even when the clock stands still, so a revocation committed in the
    /// same tick as its grant is dated a tick later; enforcement must see it at once (constitution A4: current state for
    /// enforcement).
    /// </summary>
    public DateTimeOffset EnforcementTime(DateTimeOffset clock) => clock >= LatestOccurredAt ? clock : LatestOccurredAt;

    /// <summary>Revoked API keys by key id.</summary>
    public ImmutableDictionary<string, ApiKeyRevoked> RevokedApiKeys { get; init; } = ImmutableDictionary.Create<string, ApiKeyRevoked>(StringComparer.Ordinal);

    /// <summary>Each actor's disable/enable history, in log order.</summary>
    public ImmutableDictionary<string, ImmutableList<(DateTimeOffset At, bool Disabled, string? Reason)>> ActorStatus { get; init; } =
        ImmutableDictionary.Create<string, ImmutableList<(DateTimeOffset At, bool Disabled, string? Reason)>>(StringComparer.Ordinal);

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

    /// <summary>Projections parked after their fold threw, by name (core.ProjectionParked not yet followed by core.ProjectionResumed).</summary>
    public ImmutableDictionary<string, Projections.ProjectionParked> ParkedProjections { get; init; } = Projections.ProjectionFaults.Empty;

    /// <summary>How many times each projection was parked so far (numbers the next park's attempt).</summary>
    public ImmutableDictionary<string, int> ProjectionAttempts { get; init; } = ImmutableDictionary.Create<string, int>(StringComparer.Ordinal);

    /// <summary>Contract assembly names bound to their exporter, first recorded exporter first (issue 16 item 4).</summary>
    public ImmutableDictionary<string, Ops.Core.Packs.Install.ContractBinding> Contracts { get; init; } = Ops.Core.Packs.Install.InstalledPacks.NoContracts;

    /// <summary>
    /// <see cref="Apply"/> for an event read back from the database: a payload that does not fold (a member renamed or of
    /// the wrong type in a stored row) is reported as the row's damage, with its position, instead of escaping as a
    /// parse or null-reference failure from deep inside the fold.
    /// </summary>
    /// <exception cref="Errors.OpsException"><see cref="Errors.ReasonCodes.RowUnreadable"/>.</exception>
    public CoreState ApplyStored(LoggedEvent logged)
    {
        try
        {
            return Apply(logged);
        }
        catch (Exception ex) when (Log.Integrity.RowDamage.IsParseFailure(ex))
        {
            throw Log.Integrity.RowDamage.Unreadable(logged.Position, Log.Integrity.RowDamage.PayloadKind(logged.Envelope.EventType, ex), ex, logged.Envelope.EventType);
        }
    }

    public CoreState Apply(LoggedEvent logged)
    {
        var e = logged.Envelope;
        var next = this with { Position = Math.Max(Position, logged.Position), LatestOccurredAt = e.OccurredAt > LatestOccurredAt ? e.OccurredAt : LatestOccurredAt };
        switch (e.EventType)
        {
            case CoreEventTypes.ActorRegistered:
                var actor = e.PayloadAs<ActorRegistered>();
                return next with { Actors = Actors.SetItem(actor.ActorId, actor) };
            case CoreEventTypes.ApiKeyIssued:
                var key = e.PayloadAs<ApiKeyIssued>();
                return next with { ApiKeys = ApiKeys.SetItem(key.KeyId, key) };
            case CoreEventTypes.ApiKeyRevoked:
                var revokedApiKey = e.PayloadAs<ApiKeyRevoked>();
                return next with { RevokedApiKeys = RevokedApiKeys.SetItem(revokedApiKey.KeyId, revokedApiKey) };
            case CoreEventTypes.ActorDisabled:
                var disabled = e.PayloadAs<ActorDisabled>();
                return next with { ActorStatus = AddStatus(ActorStatus, disabled.ActorId, (e.OccurredAt, true, disabled.Reason)) };
            case CoreEventTypes.ActorEnabled:
                var enabled = e.PayloadAs<ActorEnabled>();
                return next with { ActorStatus = AddStatus(ActorStatus, enabled.ActorId, (e.OccurredAt, false, null)) };
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
            case Projections.ProjectionFaults.Parked or Projections.ProjectionFaults.Resumed:
                return Projections.ProjectionFaults.Apply(next, e);
            default:
                return Ops.Core.Packs.Install.InstalledPacks.Apply(next, e);
        }
    }

    private static ImmutableDictionary<string, ImmutableList<(DateTimeOffset At, bool Disabled, string? Reason)>> AddStatus(
        ImmutableDictionary<string, ImmutableList<(DateTimeOffset At, bool Disabled, string? Reason)>> map, string actorId, (DateTimeOffset At, bool Disabled, string? Reason) change) =>
        map.SetItem(actorId, (map.TryGetValue(actorId, out var list) ? list : []).Add(change));

    /// <summary>Why the actor may not act at <paramref name="at"/> (not registered, or disabled then); null when it may.</summary>
    public string? ActorInvalidReason(string actorId, DateTimeOffset at)
    {
        if (!Actors.ContainsKey(actorId))
        {
            return $"actor '{actorId}' is not registered";
        }

        if (ActorStatus.TryGetValue(actorId, out var history))
        {
            var last = history.LastOrDefault(h => h.At <= at);
            if (last.Disabled)
            {
                return $"actor '{actorId}' is disabled ({last.Reason})";
            }
        }

        return null;
    }

    /// <summary>The owner of an API key, or null when the key does not exist.</summary>
    public string? ApiKeyOwner(string keyId) => ApiKeys.TryGetValue(keyId, out var key) ? key.ActorId : null;

    /// <summary>The owner of a signing key, or null when the key does not exist.</summary>
    public string? SignerKeyOwner(string keyId) =>
        SignerKeys.TryGetValue(keyId, out var history) ? history.Select(r => r.Payload).OfType<SignerKeyRegistered>().FirstOrDefault()?.ActorId : null;

    /// <summary>The holder of a capability, or null when it does not exist.</summary>
    public string? CapabilityHolder(string capabilityId) =>
        Capabilities.TryGetValue(capabilityId, out var history) ? history.Select(r => r.Payload).OfType<CapabilityGranted>().FirstOrDefault()?.HolderActorId : null;

    /// <summary>A policy's name, or null when it does not exist.</summary>
    public string? PolicyName(string policyId) =>
        Policies.TryGetValue(policyId, out var history) ? history.Select(r => r.Payload).OfType<PolicyCreated>().FirstOrDefault()?.Name : null;

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
                    versions[c.Version] = new PolicyState(c.PolicyId, c.Name, c.Version, c.Scope, "draft", record.Envelope.Scope.TenantId);
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
