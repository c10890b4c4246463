namespace Ops.Core.Safety;

/// <summary>
/// <c>core.SafetyDecisionRecorded</c>: a refusal the kernel made on a trust boundary, persisted with its
/// justification on the kernel's safety stream (seed 001, "Safety Decisions": recorded even when
/// enforcement denies execution). Refusals of the same actor for the same reason within one window are
/// coalesced into one record with <see cref="Count"/>, which keeps each distinct (route, object) attempt apart
/// (<see cref="Attempts"/>, bounded; the rest counted in <see cref="OtherAttempts"/>). Payload schema version 1.
/// </summary>
/// <param name="Route">Where it was refused: <c>POST /v1/commits</c>, <c>cli commit</c>, <c>packs install</c>, ...</param>
/// <param name="ActorId">The authenticated actor, or <see langword="null"/> when there was none.</param>
/// <param name="CommandHash">SHA-256 of the refused command's canonical content, when a command was refused.</param>
/// <param name="ReasonCode">A code from <see cref="Errors.ReasonCodes"/>.</param>
/// <param name="Reason">The justification, in a sentence (the first of the window when coalesced).</param>
/// <param name="Field">The claimed field that disagreed, for an identity mismatch (<c>tenant_id</c>, <c>actor</c>, ...).</param>
/// <param name="Claimed">The claimed value, truncated to 128 characters.</param>
/// <param name="Derived">The server-derived value.</param>
/// <param name="FirstAt">The first refusal of the window (UTC).</param>
/// <param name="LastAt">The last refusal of the window (UTC).</param>
/// <param name="Count">How many refusals this record stands for, at least 1.</param>
/// <param name="ObjectRef">What the first refusal was aimed at (an egress request, a switch, a stream), when known.</param>
/// <param name="Attempts">For a coalesced record: each distinct (route, object) refused in the window, at most 64, with its count and first and last details.</param>
/// <param name="OtherAttempts">Refusals of the window beyond the 64 distinct attempts kept, counted only.</param>
public sealed record SafetyDecisionRecorded(
    string Route,
    string? ActorId,
    string? CommandHash,
    string ReasonCode,
    string Reason,
    string? Field,
    string? Claimed,
    string? Derived,
    DateTimeOffset FirstAt,
    DateTimeOffset LastAt,
    int Count,
    string? ObjectRef = null,
    IReadOnlyList<SafetyAttempt>? Attempts = null,
    int OtherAttempts = 0);

/// <summary>One distinct refused attempt of a coalesced <see cref="SafetyDecisionRecorded"/>: where, at what, how often, and its first and last reasons.</summary>
/// <param name="Route">Where it was refused.</param>
/// <param name="ObjectRef">What it was aimed at, when known.</param>
/// <param name="Count">How many times, at least 1.</param>
/// <param name="FirstAt">The first (UTC).</param>
/// <param name="LastAt">The last (UTC).</param>
/// <param name="FirstReason">The first refusal's justification, truncated to 256 characters.</param>
/// <param name="LastReason">The last one's.</param>
public sealed record SafetyAttempt(string Route, string? ObjectRef, int Count, DateTimeOffset FirstAt, DateTimeOffset LastAt, string FirstReason, string LastReason);

/// <summary>A refusal to record: what <see cref="SafetyDecisionRecorded"/> holds before coalescing.</summary>
/// <param name="Route">Where it was refused.</param>
/// <param name="ActorId">The authenticated actor, if any.</param>
/// <param name="TenantId">The actor's tenant, if known; the record's identity scope carries it.</param>
/// <param name="CommandHash">SHA-256 of the refused command's canonical content, if any.</param>
/// <param name="ReasonCode">A code from <see cref="Errors.ReasonCodes"/>.</param>
/// <param name="Reason">The justification.</param>
/// <param name="Field">For an identity mismatch: the field.</param>
/// <param name="Claimed">For an identity mismatch: the claimed value.</param>
/// <param name="Derived">For an identity mismatch: the derived value.</param>
internal sealed record SafetyDecision(
    string Route,
    string? ActorId,
    string? TenantId,
    string? CommandHash,
    string ReasonCode,
    string Reason,
    string? Field = null,
    string? Claimed = null,
    string? Derived = null)
{
    /// <summary>What the refused act was aimed at (an egress request id, a switch, a stream), when the refusing path knows it.</summary>
    public string? ObjectRef { get; init; }
}

/// <summary>Names of the safety stream and event.</summary>
public static class SafetyEventTypes
{
    /// <summary><c>core.SafetyDecisionRecorded</c>.</summary>
    public const string SafetyDecisionRecorded = "core.SafetyDecisionRecorded";

    /// <summary>The kernel safety stream.</summary>
    public const string SafetyStream = "core:safety";
}
