using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Log;
using Ops.Core.Storage;

namespace Ops.Core.Capabilities;

/// <summary>
/// Records <c>core.CapabilityExpired</c> for every capability whose expires_at has passed (constitution A4:
/// expiry is an event too). Enforcement never waits for this event: evaluation already honours
/// expires_at. The event's occurred_at is the expiry instant and its id is deterministic, so several
/// workers recording the same expiry append it once.
/// </summary>
[Authority(AuthorityClass.LogAppender, "events")]
internal static class CapabilityExpiry
{
    public const string KernelActorId = "kernel";

    public static Task<int> RecordExpiredAsync(LogWriter writer, string mode, CancellationToken cancellationToken) =>
        writer.ExecuteAsync(
            async (session, ct) =>
            {
                var now = session.Time.GetUtcNow();
                var recorded = 0;
                foreach (var (capabilityId, history) in session.Core.Capabilities)
                {
                    if (history[0].Payload is not CapabilityGranted { ExpiresAt: { } expiresAt } grant
                        || expiresAt > now
                        || history.Any(r => r.Payload is CapabilityExpired or CapabilityRevoked))
                    {
                        continue;
                    }

                    var payload = JsonSerializer.SerializeToElement(new CapabilityExpired(capabilityId, expiresAt), OpsJson.Options);
                    var hash = ContentHash.OfJson(payload);
                    const string sourceRef = "kernel:capability-expiry";
                    var holder = session.Core.Actors.TryGetValue(grant.HolderActorId, out var actor) ? actor.TenantId : "system";
                    var appended = await session.AppendAsync("core:capability-" + capabilityId, null, [new EventEnvelope
                    {
                        EventId = DeterministicIds.EventId(sourceRef, capabilityId, hash, expiresAt),
                        EventType = CoreEventTypes.CapabilityExpired,
                        PayloadSchemaVersion = 1,
                        Payload = payload,
                        PayloadHash = hash,
                        OccurredAt = expiresAt,
                        IngestedAt = now,
                        CorrelationId = capabilityId,
                        CausationId = history[0].Envelope.EventId,
                        CausationType = CausationType.Event,
                        SourceRef = sourceRef,
                        Actor = new ActorRef(KernelActorId, ActorKind.Service),
                        Scope = new IdentityScope(holder, mode, null, "kernel"),
                        StreamId = "core:capability-" + capabilityId,
                        StreamVersion = 0,
                    }], ct);
                    recorded += appended.Count(a => !a.Duplicate);
                }

                return recorded;
            },
            cancellationToken);
}
