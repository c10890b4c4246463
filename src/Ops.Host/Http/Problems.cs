using Ops.Core.Envelopes;

namespace Ops.Host.Http;

/// <summary>The one place where kernel outcomes and errors become HTTP statuses and problem+json bodies.</summary>
internal static class Problems
{
    public static int StatusFor(CommandOutcome outcome) => outcome.ReasonCode switch
    {
        null => StatusCodes.Status200OK,
        "invalid_envelope" or "invalid_payload" or "command_id_mismatch" or "consent_invalid" => StatusCodes.Status400BadRequest,
        "unknown_command_type" => StatusCodes.Status404NotFound,
        "capability_denied" or "identity_mismatch" or "unknown_actor" or "key_not_active" or "signature_invalid" or "policy_not_applicable" => StatusCodes.Status403Forbidden,
        "command_id_conflict" or "concurrency_conflict" or "preview_mismatch" or "signature_already_used" or "ambiguous" or "proposal_expired" or "consent_expired" => StatusCodes.Status409Conflict,
        "consent_required" => StatusCodes.Status428PreconditionRequired,
        _ => StatusCodes.Status422UnprocessableEntity,
    };

    public static IResult Rejected(CommandOutcome outcome) =>
        Results.Problem(
            title: $"Command rejected: {outcome.ReasonCode}",
            detail: outcome.Reason,
            statusCode: StatusFor(outcome),
            type: $"https://aligntrue.dev/problems/{outcome.ReasonCode}",
            extensions: new Dictionary<string, object?>
            {
                ["outcome"] = "rejected",
                ["reason_code"] = outcome.ReasonCode,
                ["command_id"] = outcome.CommandId,
                ["command_type"] = outcome.CommandType,
            });

    public static IResult BadRequest(string detail) =>
        Results.Problem(title: "Bad request", detail: detail + " Nothing was changed.", statusCode: StatusCodes.Status400BadRequest);

    public static IResult Forbidden(string detail) =>
        Results.Problem(title: "Forbidden", detail: detail + " Nothing was changed.", statusCode: StatusCodes.Status403Forbidden);

    public static IResult NotFound(string detail) =>
        Results.Problem(title: "Not found", detail: detail, statusCode: StatusCodes.Status404NotFound);
}
