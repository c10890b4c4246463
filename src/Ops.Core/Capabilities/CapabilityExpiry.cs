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

                    var holder = session.Core.Actors.TryGetValue(grant.HolderActorId, out var actor) ? actor.TenantId : "system";
                    var stream = CoreRefs.Stream(CoreRefs.Capability(grant.HolderActorId, capabilityId));
                    var appended = await session.AppendAsync(stream, null, [EventDraft.Create(
                        CoreEventTypes.CapabilityExpired, 1, EventDraft.Payload(new CapabilityExpired(capabilityId, expiresAt)), "kernel:capability-expiry", capabilityId, null, expiresAt,
                        new Causation(capabilityId, history[0].Envelope.EventId, CausationType.Event), new ActorRef(KernelActorId, ActorKind.Service), null, null,
                        new IdentityScope(holder, mode, null, "kernel"), stream)], ct);
                    recorded += appended.Count(a => !a.Duplicate);
                }

                return recorded;
            },
            cancellationToken);
}
