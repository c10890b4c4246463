using System.Text.Json.Serialization;

namespace Ops.Core.Envelopes;

/// <summary>
/// The one outcome of a command (constitution A2): accepted with the events it appended, or rejected
/// with a reason. A resent command returns its first outcome.
/// </summary>
public sealed record CommandOutcome
{
    /// <summary>The command's id.</summary>
    public required string CommandId { get; init; }

    /// <summary>The command's type.</summary>
    public required string CommandType { get; init; }

    /// <summary><c>accepted</c> or <c>rejected</c>.</summary>
    public required CommandStatus Status { get; init; }

    /// <summary>Machine-readable reason code when rejected, for example <c>capability_denied</c>.</summary>
    public string? ReasonCode { get; init; }

    /// <summary>Human-readable reason when rejected: what failed, and that nothing changed.</summary>
    public string? Reason { get; init; }

    /// <summary>The capability that authorized the command, when one did.</summary>
    public string? CapabilityId { get; init; }

    /// <summary>The capability event in force when it was authorized.</summary>
    public string? CapabilityStateRef { get; init; }

    /// <summary>Ids of the events the command appended, in order; empty when rejected.</summary>
    public IReadOnlyList<string> EventIds { get; init; } = [];

    /// <summary>Log position of the last appended event, when accepted.</summary>
    public long? Position { get; init; }

    /// <summary>When the kernel decided (UTC).</summary>
    public required DateTimeOffset DecidedAt { get; init; }

    /// <summary>True when this outcome was returned from the idempotency record rather than decided now.</summary>
    [JsonIgnore]
    public bool Replayed { get; init; }

    /// <summary>Whether the command was accepted.</summary>
    [JsonIgnore]
    public bool IsAccepted => Status == CommandStatus.Accepted;
}

/// <summary>The two outcomes of constitution A2.</summary>
public enum CommandStatus
{
    /// <summary>Decided and appended.</summary>
    Accepted = 1,

    /// <summary>Refused with a reason; nothing was appended.</summary>
    Rejected = 2,
}
