using System.Text.Json;

namespace Ops.Core.Envelopes;

/// <summary>
/// An event as the log stores it: every field of constitution A1, the identity scope of seed 001,
/// and the stream coordinates the log assigns. Field names serialize in snake_case
/// (<c>occurred_at</c>, <c>causation_id</c>, ...). All instants are UTC.
/// </summary>
public sealed record EventEnvelope
{
    /// <summary>The version of this envelope shape; Core-owned and rarely changed (constitution §1).</summary>
    public const int CurrentEnvelopeVersion = 1;

    /// <summary>Deterministic id: SHA-256 of canonical (source_ref, source_native_id, payload_hash, occurred_at), 64 hex characters (constitution A6).</summary>
    public required string EventId { get; init; }

    /// <summary>Namespaced type: <c>core.X</c>, <c>shared.pkg.X</c> or <c>pack.id.domain.X</c>.</summary>
    public required string EventType { get; init; }

    /// <summary>Version of the payload's schema, per event type (constitution §1).</summary>
    public required int PayloadSchemaVersion { get; init; }

    /// <summary>The payload, a JSON object.</summary>
    public required JsonElement Payload { get; init; }

    /// <summary>SHA-256 of the payload's canonical JSON, 64 hex characters.</summary>
    public required string PayloadHash { get; init; }

    /// <summary>When the fact happened in the world (UTC).</summary>
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>When the log accepted it (UTC).</summary>
    public required DateTimeOffset IngestedAt { get; init; }

    /// <summary>When it takes business effect, if that differs from <see cref="OccurredAt"/> (UTC).</summary>
    public DateTimeOffset? EffectiveAt { get; init; }

    /// <summary>Groups everything one original request caused.</summary>
    public required string CorrelationId { get; init; }

    /// <summary>The one record that caused this event; see <see cref="CausationType"/>.</summary>
    public string? CausationId { get; init; }

    /// <summary>What <see cref="CausationId"/> refers to; required when it is set (constitution A2).</summary>
    public CausationType? CausationType { get; init; }

    /// <summary>Where the event came from: <c>command:&lt;command_id&gt;</c> or <c>connector:&lt;id&gt;:&lt;stream&gt;</c>.</summary>
    public required string SourceRef { get; init; }

    /// <summary>Position in the source's own sequence, when the source has one.</summary>
    public long? SourceSequence { get; init; }

    /// <summary>Who acted.</summary>
    public required ActorRef Actor { get; init; }

    /// <summary>The capability that authorized the action (constitution A4).</summary>
    public string? CapabilityId { get; init; }

    /// <summary>The capability event in force when authorizing: its grant or latest scope change event id (constitution A4).</summary>
    public string? CapabilityStateRef { get; init; }

    /// <summary>Identity scope of seed 001.</summary>
    public required IdentityScope Scope { get; init; }

    /// <summary>The stream this event belongs to.</summary>
    public required string StreamId { get; init; }

    /// <summary>1-based version of the event within its stream (optimistic concurrency).</summary>
    public required long StreamVersion { get; init; }

    /// <summary>See <see cref="CurrentEnvelopeVersion"/>.</summary>
    public int EnvelopeVersion { get; init; } = CurrentEnvelopeVersion;
}
