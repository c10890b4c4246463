using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Core.Log;
using Ops.Core.Naming;
using Ops.Core.Packs;
using Ops.Core.Storage;

namespace Ops.Core.Commands;

/// <summary>See <see cref="ICommandGateway"/>.</summary>
[Authority(AuthorityClass.LogAppender, "events", "command_outcomes")]
internal sealed class CommandGateway(KernelRegistry registry, LogWriter writer, KernelOptions options, TimeProvider time, ILogger<CommandGateway> logger) : ICommandGateway
{
    public async Task<CommandOutcome> SendAsync(CommandEnvelope envelope, CallerContext caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(caller);
        var receivedAt = time.GetUtcNow();
        var commandType = envelope.CommandType ?? string.Empty;

        Rejection? Validate(out CommandRegistration? registration, out object? payload)
        {
            registration = null;
            payload = null;
            if (!OpsTypeName.TryParse(commandType, out _, out var nameError))
            {
                return new("invalid_envelope", $"command_type is invalid: {nameError}");
            }

            if (string.IsNullOrWhiteSpace(envelope.TargetRef) || envelope.TargetRef.Length > 512)
            {
                return new("invalid_envelope", "target_ref is required (1 to 512 characters).");
            }

            if (envelope.CausationId is not null && envelope.CausationType is null)
            {
                return new("invalid_envelope", "causation_type is required when causation_id is set (constitution A2).");
            }

            if (envelope.Payload.ValueKind != JsonValueKind.Object)
            {
                return new("invalid_envelope", "payload must be a JSON object.");
            }

            if (!registry.Commands.TryGetValue(commandType, out registration))
            {
                return new("unknown_command_type", $"No pack handles command type {commandType}. Installed packs: {string.Join(", ", registry.Packs.Select(p => p.PackId))}.");
            }

            if (registration.SafetyClass == SafetyClass.WriteExternalSideEffect)
            {
                return new("safety_class_unsupported", $"{commandType} is WRITE_EXTERNAL_SIDE_EFFECT; external side effects need the outbox, approvals, quotas and a kill switch, which this kernel does not have yet, so it refuses them.");
            }

            try
            {
                payload = envelope.Payload.Deserialize(registration.PayloadType, OpsJson.Options)
                    ?? throw new JsonException("payload is null.");
            }
            catch (JsonException ex)
            {
                return new("invalid_payload", $"payload does not fit {commandType}: {ex.Message}");
            }

            return null;
        }

        var rejection = Validate(out var registration, out var payload);
        if (rejection is not null)
        {
            return Rejected(envelope.CommandId ?? string.Empty, commandType, rejection, receivedAt);
        }

        var outcome = await writer.ExecuteAsync((session, ct) => DecideAsync(session, registration!, envelope, payload!, caller, ct), cancellationToken);
        CoreLog.CommandDecided(logger, commandType, outcome.CommandId, outcome.Status.ToString());
        return outcome;
    }

    private async ValueTask<CommandOutcome> DecideAsync(WriteSession session, CommandRegistration registration, CommandEnvelope envelope, object payload, CallerContext caller, CancellationToken cancellationToken)
    {
        var now = session.Time.GetUtcNow();
        var core = session.Core;
        if (!core.Actors.TryGetValue(caller.Actor.Id, out var actor))
        {
            return Rejected(envelope.CommandId ?? string.Empty, registration.Name, new("unknown_actor", $"actor '{caller.Actor.Id}' is not registered."), now);
        }

        var commandId = DeterministicIds.CommandId(actor.TenantId, actor.ActorId, registration.Name, envelope.TargetRef, envelope.Payload, envelope.IdempotencyKey);
        if (envelope.CommandId is not null && !string.Equals(envelope.CommandId, commandId, StringComparison.Ordinal))
        {
            return Rejected(envelope.CommandId, registration.Name, new("command_id_mismatch", $"command_id does not match the command's content (expected {commandId}); omit it, or send idempotency_key to derive it from your own key."), now);
        }

        var scopeResult = DeriveScope(envelope.Scope, envelope.Actor, actor, caller);
        if (scopeResult.Rejection is { } identity)
        {
            return Rejected(commandId, registration.Name, identity, now);
        }

        var scope = scopeResult.Scope!;
        var contentHash = ContentHash.OfValue(new JsonObject
        {
            ["command_type"] = registration.Name,
            ["target_ref"] = envelope.TargetRef,
            ["payload"] = JsonNode.Parse(envelope.Payload.GetRawText()),
            ["actor_id"] = actor.ActorId,
            ["tenant_id"] = actor.TenantId,
        });

        var previous = await OutcomeStore.FindAsync(session, commandId, cancellationToken);
        if (previous is { } found)
        {
            return found.ContentHash == contentHash
                ? found.Outcome with { Replayed = true }
                : Rejected(commandId, registration.Name, new("command_id_conflict", "this command_id (idempotency key) was already used for a command with different content; nothing was appended."), now);
        }

        var actorRef = new ActorRef(actor.ActorId, actor.Kind);
        var capability = payload is DelegateCapability delegation
            ? CoreCommands.AuthorizeDelegation(core, delegation, actor.ActorId, now)
            : envelope.CapabilityId is { } named
            ? CapabilityEvaluator.Evaluate(core, named, actor.ActorId, registration.Name, envelope.TargetRef, registration.SafetyClass, now)
            : CapabilityEvaluator.FindFor(core, actor.ActorId, registration.Name, envelope.TargetRef, registration.SafetyClass, now);
        if (!capability.Allowed)
        {
            return await RecordAsync(session, Rejected(commandId, registration.Name, new("capability_denied", capability.Reason!), now), contentHash, cancellationToken);
        }

        var bound = envelope with { CommandId = commandId, Actor = actorRef, Scope = scope, RequestedAt = envelope.RequestedAt ?? now, CorrelationId = envelope.CorrelationId ?? commandId };
        var streams = new SessionStreamReader(session, registration.StreamPrefix);
        var decision = await registration.Decide(new CommandInvocation(payload, bound, commandId, scope, now, streams, core), cancellationToken);
        if (decision.IsRejected)
        {
            return await RecordAsync(session, Rejected(commandId, registration.Name, new(decision.ReasonCode!, decision.Reason!), now) with { CapabilityId = capability.CapabilityId, CapabilityStateRef = capability.StateRef }, contentHash, cancellationToken);
        }

        var streamKey = decision.StreamKey ?? envelope.TargetRef;
        var streamId = registration.StreamPrefix + streamKey;

        // Replay orders by occurred_at first: a stream's events must be strictly later than its last one,
        // even when the clock stands still or steps back, so canonical order keeps stream order.
        var last = await session.LastOccurredAtAsync(streamId, cancellationToken);
        var occurredAt = last is { } previousAt && previousAt >= now ? previousAt.AddTicks(1) : now;
        var drafts = new List<EventEnvelope>(decision.Events.Count);
        for (var i = 0; i < decision.Events.Count; i++)
        {
            var e = decision.Events[i];
            if (!registry.TryGetEvent(e.GetType(), out var eventType) || eventType.Owner != registration.Owner)
            {
                throw new InvalidOperationException($"The handler of {registration.Name} emitted {e.GetType().Name}, which is not an event registered by '{registration.Owner}'. Nothing was appended.");
            }

            var payloadElement = JsonSerializer.SerializeToElement(e, e.GetType(), OpsJson.Options);
            var payloadHash = ContentHash.OfJson(payloadElement);
            var sourceRef = "command:" + commandId;
            drafts.Add(new EventEnvelope
            {
                EventId = DeterministicIds.EventId(sourceRef, $"{commandId}#{i}", payloadHash, occurredAt),
                EventType = eventType.Name,
                PayloadSchemaVersion = eventType.SchemaVersion,
                Payload = payloadElement,
                PayloadHash = payloadHash,
                OccurredAt = occurredAt,
                IngestedAt = now,
                CorrelationId = bound.CorrelationId!,
                CausationId = commandId,
                CausationType = CausationType.Command,
                SourceRef = sourceRef,
                SourceSequence = i,
                Actor = actorRef,
                CapabilityId = capability.CapabilityId,
                CapabilityStateRef = capability.StateRef,
                Scope = scope,
                StreamId = streamId,
                StreamVersion = 0,
            });
        }

        IReadOnlyList<AppendedEvent> appended;
        try
        {
            appended = await session.AppendAsync(streamId, streams.ObservedVersion(streamKey), drafts, cancellationToken);
        }
        catch (StreamConcurrencyException ex)
        {
            // Not recorded: the same command may be sent again and decided against the new state.
            return Rejected(commandId, registration.Name, new("concurrency_conflict", ex.Message), now);
        }

        var accepted = new CommandOutcome
        {
            CommandId = commandId,
            CommandType = registration.Name,
            Status = CommandStatus.Accepted,
            CapabilityId = capability.CapabilityId,
            CapabilityStateRef = capability.StateRef,
            EventIds = appended.Select(a => a.Event.Envelope.EventId).ToList(),
            Position = appended[^1].Event.Position,
            DecidedAt = now,
        };
        return await RecordAsync(session, accepted, contentHash, cancellationToken);
    }

    private (IdentityScope? Scope, Rejection? Rejection) DeriveScope(IdentityScope? claimed, ActorRef? claimedActor, ActorRegistered actor, CallerContext caller)
    {
        var derived = new IdentityScope(actor.TenantId, options.Mode, actor.ActorId, caller.SurfaceId, claimed?.ProjectId, claimed?.RunId);
        if (claimedActor is not null && (claimedActor.Id != actor.ActorId || claimedActor.Kind != actor.Kind))
        {
            return (null, new Rejection("identity_mismatch", $"actor '{claimedActor.Id}' ({claimedActor.Kind}) does not match the authenticated actor '{actor.ActorId}' ({actor.Kind})"));
        }

        if (claimed is null)
        {
            return (derived, null);
        }

        // Seed 001 §5: server binding wins; a disagreeing claim is rejected, never silently overridden.
        string? Mismatch(string field, string? claim, string? actual) =>
            claim is not null && !string.Equals(claim, actual, StringComparison.Ordinal) ? $"{field} '{claim}' does not match the authenticated {field} '{actual}'" : null;
        var problem = Mismatch("tenant_id", claimed.TenantId, derived.TenantId)
            ?? Mismatch("mode", claimed.Mode, derived.Mode)
            ?? Mismatch("user_id", claimed.UserId, derived.UserId)
            ?? Mismatch("surface_id", claimed.SurfaceId, derived.SurfaceId);
        return problem is null ? (derived, null) : (null, new Rejection("identity_mismatch", problem + "; identity comes from authentication."));
    }

    private static async ValueTask<CommandOutcome> RecordAsync(WriteSession session, CommandOutcome outcome, string contentHash, CancellationToken cancellationToken)
    {
        await OutcomeStore.RecordAsync(session, outcome, contentHash, cancellationToken);
        return outcome;
    }

    private static CommandOutcome Rejected(string commandId, string commandType, Rejection rejection, DateTimeOffset at) => new()
    {
        CommandId = commandId,
        CommandType = commandType,
        Status = CommandStatus.Rejected,
        ReasonCode = rejection.Code,
        Reason = rejection.Message.TrimEnd('.') + ". Nothing was appended.",
        DecidedAt = at,
    };

    private sealed record Rejection(string Code, string Message);

    /// <summary>Reads the owner's streams inside the writer transaction and remembers each stream's version for the append.</summary>
    private sealed class SessionStreamReader(WriteSession session, string prefix) : IStreamReader
    {
        private readonly Dictionary<string, long> _observed = new(StringComparer.Ordinal);

        public async ValueTask<IReadOnlyList<EventEnvelope>> ReadStreamAsync(string streamKey, CancellationToken cancellationToken)
        {
            var events = await session.ReadStreamAsync(prefix + streamKey, cancellationToken);
            _observed[streamKey] = events.Count == 0 ? 0 : events[^1].Envelope.StreamVersion;
            return events.Select(e => e.Envelope).ToList();
        }

        public long? ObservedVersion(string streamKey) => _observed.TryGetValue(streamKey, out var v) ? v : null;
    }
}
