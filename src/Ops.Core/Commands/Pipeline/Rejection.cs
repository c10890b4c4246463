using Ops.Core.Errors;

namespace Ops.Core.Commands.Pipeline;

/// <summary>
/// Why a stage refused a command: a code from <see cref="ReasonCodes"/> (or a handler's own), a message,
/// and for an identity mismatch the field with its claimed and derived values.
/// </summary>
internal sealed record Rejection(string Code, string Message)
{
    /// <summary>Refusals on a trust boundary: each is recorded on the safety stream (seed 001) while the refused command writes nothing.</summary>
    private static readonly HashSet<string> SafetyCodes = new(StringComparer.Ordinal)
    {
        ReasonCodes.IdentityMismatch,
        ReasonCodes.CapabilityDenied,
        ReasonCodes.TargetMismatch,
        ReasonCodes.Escalation,
        ReasonCodes.UnknownActor,
        ReasonCodes.ActorDisabled,
        ReasonCodes.ConsentRequired,
        ReasonCodes.ConsentInvalid,
        ReasonCodes.ConsentExpired,
        ReasonCodes.KeyNotActive,
        ReasonCodes.SignatureInvalid,
        ReasonCodes.SignatureAlreadyUsed,
        ReasonCodes.PolicyNotApplicable,
        ReasonCodes.PreviewMismatch,
        ReasonCodes.ProposalExpired,

        // Pack code that threw at the kernel's boundary (issue 16 item 6): on the record with the pack it names.
        ReasonCodes.PackFault,
    };

    public string? Field { get; init; }

    public string? Claimed { get; init; }

    public string? Derived { get; init; }

    public static bool IsSafetyCode(string? code) => code is not null && SafetyCodes.Contains(code);
}

/// <summary>A stage's typed result: its value, or the rejection that stops the pipeline.</summary>
internal readonly record struct StageResult<T>(T? Value, Rejection? Rejection)
    where T : class
{
    public bool IsRejected => Rejection is not null;

    public static implicit operator StageResult<T>(T value) => new(value, null);

    public static implicit operator StageResult<T>(Rejection rejection) => new(null, rejection);
}
