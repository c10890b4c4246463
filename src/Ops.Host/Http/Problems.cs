using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Host.Edge;

namespace Ops.Host.Http;

/// <summary>
/// The one place where kernel reason codes become HTTP statuses and problem+json bodies (the edge's single
/// translator, reading the kind table <see cref="EdgeReasons"/> that the CLI reads too). Bodies say what failed and that nothing changed;
/// they never carry SQL text, .NET type names or an upstream's body (those go to the worker's log).
/// </summary>
internal static class Problems
{
    public static int StatusFor(string? code) => EdgeReasons.For(code).HttpStatus;

    public static IResult Rejected(CommandOutcome outcome) =>
        Results.Problem(
            title: $"Command rejected: {outcome.ReasonCode}",
            detail: outcome.Reason,
            statusCode: StatusFor(outcome.ReasonCode),
            type: $"https://aligntrue.dev/problems/{outcome.ReasonCode}",
            extensions: new Dictionary<string, object?>
            {
                ["outcome"] = "rejected",
                ["reason_code"] = outcome.ReasonCode,
                ["command_id"] = outcome.CommandId,
                ["command_type"] = outcome.CommandType,
            });

    /// <summary>A problem for a reason code; <paramref name="detail"/> says what failed and what did not change.</summary>
    public static IResult Of(string code, string detail) =>
        Results.Problem(
            title: Title(code),
            detail: detail,
            statusCode: StatusFor(code),
            type: $"https://aligntrue.dev/problems/{code}",
            extensions: new Dictionary<string, object?> { ["reason_code"] = code });

    public static IResult BadRequest(string detail) => Of(ReasonCodes.BadRequest, detail + " Nothing was changed.");

    public static IResult Forbidden(string detail) => Of(ReasonCodes.CapabilityDenied, detail + " Nothing was changed.");

    public static IResult NotFound(string detail) => Of(ReasonCodes.NotFound, detail + " Nothing was changed.");

    public static IResult From(OpsException exception) => Of(exception.Code, exception.Message);

    private static string Title(string code) => EdgeReasons.For(code).Title;
}
