using System.Text.Json;
using Ops.Core.Capabilities;
using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Core.Log;
using Ops.Core.Packs;
using Ops.Core.Storage;

namespace Ops.Core.Commands.Pipeline;

/// <summary>
/// Stage 7: in the writer's transaction, the interpretation's events (stream-ordered, with the expected
/// version the handler observed), then the consent record, the audit record and the command outcome
/// (seed 000 §6: one transaction, no partial writes).
/// </summary>
[Authority(AuthorityClass.LogAppender, "events", "command_outcomes", "egress_requests")]
internal static class CommitStage
{
    public static async ValueTask<(CommandOutcome Outcome, Rejection? Rejection)> AppendAsync(WriteSession session, CommandRegistration registration, CommandEnvelope bound, BoundIdentity identity, CapabilityDecision capability, PreparedInterpretation chosen, long? expectedVersion, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var commandId = identity.CommandId;

        // Replay orders by occurred_at first: a stream's events must be strictly later than its last one,
        // even when the clock stands still or steps back, so canonical order keeps stream order.
        var last = await session.LastOccurredAtAsync(chosen.StreamId, cancellationToken);
        var occurredAt = last is { } previousAt && previousAt >= now ? previousAt.AddTicks(1) : now;
        var sourceRef = "command:" + commandId;
        var drafts = chosen.Events.Select((e, i) => Draft(bound, identity, capability, e.Type.Name, e.Type.SchemaVersion, e.Payload, sourceRef, $"{commandId}#{i}", i, occurredAt, chosen.StreamId)).ToList();
        IReadOnlyList<AppendedEvent> appended;
        try
        {
            appended = await session.AppendAsync(chosen.StreamId, expectedVersion, drafts, cancellationToken);
        }
        catch (StreamConcurrencyException ex)
        {
            // Not recorded: the same command may be sent again and decided against the new state.
            return (Outcomes.Rejected(commandId, registration.Name, new(Errors.ReasonCodes.ConcurrencyConflict, ex.Message), now), new(Errors.ReasonCodes.ConcurrencyConflict, ex.Message));
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
        await OutcomeStore.RecordAsync(session, accepted, identity.ContentHash, cancellationToken);
        return (accepted, null);
    }

    /// <summary>The consent record (consuming a signature's nonce) and the audit record, in the commit's transaction.</summary>
    public static async ValueTask<string> AppendConsentRecordsAsync(WriteSession session, CommandEnvelope bound, BoundIdentity identity, CapabilityDecision capability, PreparedInterpretation chosen, ConsentGrant consent, CommandOutcome outcome, string? requestedTarget, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var commandId = identity.CommandId;
        var sourceRef = "command:" + commandId;
        var consentStream = ConsentStage.ConsentStream(consent, commandId);
        var consentPayload = JsonSerializer.SerializeToElement(new ConsentRecorded(commandId, chosen.Proposed.PreviewHash, chosen.Proposed.InterpretationId, consent), Identity.OpsJson.Options);
        await session.AppendAsync(consentStream, 0, [Draft(bound, identity, capability, ConsentEventTypes.ConsentRecorded, 1, consentPayload, sourceRef, commandId + "#consent", null, now, consentStream)], cancellationToken);

        var audit = new MutationCommitted(
            commandId,
            identity.ActorRef,
            outcome.CommandType,
            chosen.StreamKey,
            chosen.StreamId,
            now,
            chosen.Proposed.InterpretationId,
            chosen.Proposed.PreviewHash,
            chosen.Proposed.Preview,
            outcome.CapabilityId!,
            outcome.CapabilityStateRef!,
            consent.Kind,
            consent.Kind == ConsentKind.Signature ? consent.Signer : null,
            consent.Kind == ConsentKind.Signature ? consent.KeyId : null,
            consent.Kind == ConsentKind.Policy ? consent.PolicyId : null,
            consent.Kind == ConsentKind.Policy ? consent.PolicyVersion : null,
            outcome.EventIds)
        {
            RequestedTargetRef = requestedTarget is not null && requestedTarget != chosen.StreamKey ? requestedTarget : null,
        };
        var auditPayload = JsonSerializer.SerializeToElement(audit, Identity.OpsJson.Options);
        var appended = await session.AppendAsync(ConsentEventTypes.AuditStream, null, [Draft(bound, identity, capability, ConsentEventTypes.MutationCommitted, 1, auditPayload, sourceRef, commandId + "#audit", null, now, ConsentEventTypes.AuditStream)], cancellationToken);
        return appended[0].Event.Envelope.EventId;
    }

    /// <summary>
    /// For a WRITE_EXTERNAL_SIDE_EFFECT command: enqueues its egress request in the commit's transaction (constitution
    /// A9: the enqueue is atomic with the command's events; nothing goes out until the gate approves it).
    /// </summary>
    public static async ValueTask EnqueueEgressAsync(WriteSession session, CommandRegistration registration, CommandEnvelope bound, BoundIdentity identity, PreparedInterpretation chosen, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (registration.Egress is not { } egress)
        {
            return;
        }

        await Egress.EgressLog.EnqueueAsync(session, registration.Owner, egress.Destination, registration.Name, identity.CommandId, identity.Scope, identity.ActorRef, bound.Payload, chosen.Proposed.PreviewHash, now, cancellationToken);
    }

    private static EventEnvelope Draft(CommandEnvelope bound, BoundIdentity identity, CapabilityDecision capability, string eventType, int schemaVersion, JsonElement payload, string sourceRef, string nativeId, long? sequence, DateTimeOffset occurredAt, string streamId) =>
        EventDraft.Create(
            eventType, schemaVersion, payload, sourceRef, nativeId, sequence, occurredAt,
            new Causation(bound.CorrelationId!, identity.CommandId, CausationType.Command),
            identity.ActorRef, capability.CapabilityId, capability.StateRef, identity.Scope, streamId);
}

/// <summary>Builds rejected outcomes: the reason always ends by saying nothing was appended (seed 000 §8).</summary>
internal static class Outcomes
{
    public static CommandOutcome Rejected(string commandId, string commandType, Rejection rejection, DateTimeOffset at) => new()
    {
        CommandId = commandId,
        CommandType = commandType,
        Status = CommandStatus.Rejected,
        ReasonCode = rejection.Code,
        Reason = rejection.Message.TrimEnd('.') + ". Nothing was appended.",
        DecidedAt = at,
    };
}
