namespace Ops.Core.Safety;

/// <summary>
/// <c>core.SafetyDecisionRecorded</c>: a refusal the kernel made on a trust boundary, persisted with its
/// justification on the kernel's safety stream (seed 001, "Safety Decisions": recorded even when
/// enforcement denies execution). Refusals of the same actor for the same reason within one window are
/// coalesced into one record with <see cref="Count"/>. Payload schema version 1.
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
    int Count);

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
    string? Derived = null);

/// <summary>Names of the safety stream and event.</summary>
public static class SafetyEventTypes
{
    /// <summary><c>core.SafetyDecisionRecorded</c>.</summary>
    public const string SafetyDecisionRecorded = "core.SafetyDecisionRecorded";

    /// <summary>The kernel safety stream.</summary>
    public const string SafetyStream = "core:safety";
}
