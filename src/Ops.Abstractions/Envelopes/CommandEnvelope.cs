using System.Text.Json;

namespace Ops.Core.Envelopes;

/// <summary>
/// A command as submitted: every field of constitution A2 plus the identity scope of seed 001.
/// The server fills <see cref="Actor"/> and the server-derived parts of <see cref="Scope"/>; a client
/// value that disagrees is rejected.
/// </summary>
public sealed record CommandEnvelope
{
    /// <summary>Deterministic idempotency key, 64 hex characters. When the client omits it, the kernel derives it from the content (see <see cref="Identity.DeterministicIds.CommandId"/>).</summary>
    public string? CommandId { get; init; }

    /// <summary>Client idempotency key; when set, the command_id is derived from it instead of the payload.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Namespaced command type, for example <c>pack.notes.notes.CreateNote</c>.</summary>
    public required string CommandType { get; init; }

    /// <summary>The payload, a JSON object.</summary>
    public required JsonElement Payload { get; init; }

    /// <summary>
    /// The object the command acts on, for example <c>note-3f2a...</c>; at most <see cref="EnvelopeLimits.TargetRef"/> characters.
    /// Where the command type's payload names the object (<see cref="Packs.CommandTarget{TCommand}.FromPayload"/>, and every
    /// <c>core.*</c> command), omit it: the kernel derives it, and a value naming another object is refused (<c>target_mismatch</c>).
    /// </summary>
    public string? TargetRef { get; init; }

    /// <summary>Typed dedupe scope; defaults to <c>('command', target_ref)</c>.</summary>
    public DedupeScope? DedupeScope { get; init; }

    /// <summary>Correlation id; defaults to the command_id.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>The one record that caused this command.</summary>
    public string? CausationId { get; init; }

    /// <summary>What <see cref="CausationId"/> refers to; required when it is set.</summary>
    public CausationType? CausationType { get; init; }

    /// <summary>Who acts; set by the server from authentication.</summary>
    public ActorRef? Actor { get; init; }

    /// <summary>When the client asked (UTC); defaults to the server's time of receipt.</summary>
    public DateTimeOffset? RequestedAt { get; init; }

    /// <summary>Capability to act under; when omitted the gateway picks the actor's first capability that covers the command.</summary>
    public string? CapabilityId { get; init; }

    /// <summary>Identity scope; server-derived fields win and a conflicting claim is rejected.</summary>
    public IdentityScope? Scope { get; init; }
}
