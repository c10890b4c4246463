using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Identity;

namespace Ops.Core.Log;

/// <summary>
/// The one place an envelope is drafted for appending: payload hash, deterministic event_id
/// (constitution A6) and every A1 field. The writer session fills stream_version and ingested_at.
/// </summary>
internal static class EventDraft
{
    public static EventEnvelope Create(
        string eventType,
        int schemaVersion,
        JsonElement payload,
        string sourceRef,
        string sourceNativeId,
        long? sourceSequence,
        DateTimeOffset occurredAt,
        Causation causation,
        ActorRef actor,
        string? capabilityId,
        string? capabilityStateRef,
        IdentityScope scope,
        string streamId)
    {
        var payloadHash = ContentHash.OfJson(payload);
        return new EventEnvelope
        {
            EventId = DeterministicIds.EventId(sourceRef, sourceNativeId, payloadHash, occurredAt),
            EventType = eventType,
            PayloadSchemaVersion = schemaVersion,
            Payload = payload,
            PayloadHash = payloadHash,
            OccurredAt = occurredAt,
            IngestedAt = occurredAt,
            CorrelationId = causation.CorrelationId,
            CausationId = causation.CausationId,
            CausationType = causation.CausationType,
            SourceRef = sourceRef,
            SourceSequence = sourceSequence,
            Actor = actor,
            CapabilityId = capabilityId,
            CapabilityStateRef = capabilityStateRef,
            Scope = scope,
            StreamId = streamId,
            StreamVersion = 0,
        };
    }

    public static JsonElement Payload(object payload) => JsonSerializer.SerializeToElement(payload, payload.GetType(), OpsJson.Options);
}

/// <summary>Correlation and causation of a draft (constitution A1, A2).</summary>
internal readonly record struct Causation(string CorrelationId, string? CausationId, CausationType? CausationType);
