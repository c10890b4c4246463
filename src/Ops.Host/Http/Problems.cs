using Ops.Core.Envelopes;
using Ops.Core.Errors;

namespace Ops.Host.Http;

/// <summary>
/// The one place where kernel reason codes become HTTP statuses and problem+json bodies (the edge's single
/// translator, keyed by <see cref="ReasonCodes.KindOf"/>). Bodies say what failed and that nothing changed;
/// they never carry SQL text, .NET type names or an upstream's body (those go to the worker's log).
/// </summary>
internal static class Problems
{
    public static int StatusFor(string? code) => ReasonCodes.KindOf(code) switch
    {
        ReasonKind.BadRequest => StatusCodes.Status400BadRequest,
        ReasonKind.Unauthenticated => StatusCodes.Status401Unauthorized,
        ReasonKind.Forbidden => StatusCodes.Status403Forbidden,
        ReasonKind.NotFound => StatusCodes.Status404NotFound,
        ReasonKind.Conflict => StatusCodes.Status409Conflict,
        ReasonKind.PreconditionRequired => StatusCodes.Status428PreconditionRequired,
        ReasonKind.RateLimited => StatusCodes.Status429TooManyRequests,
        ReasonKind.UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
        ReasonKind.MethodNotAllowed => StatusCodes.Status405MethodNotAllowed,
        ReasonKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ReasonKind.Upstream => StatusCodes.Status502BadGateway,
        ReasonKind.Internal => StatusCodes.Status500InternalServerError,
        _ => StatusCodes.Status422UnprocessableEntity,
    };

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

    private static string Title(string code) => ReasonCodes.KindOf(code) switch
    {
        ReasonKind.BadRequest => "Bad request",
        ReasonKind.Unauthenticated => "Not authenticated",
        ReasonKind.Forbidden => "Forbidden",
        ReasonKind.NotFound => "Not found",
        ReasonKind.Conflict => "Conflict",
        ReasonKind.PreconditionRequired => "Precondition required",
        ReasonKind.RateLimited => "Too many requests",
        ReasonKind.UnsupportedMediaType => "Unsupported media type",
        ReasonKind.MethodNotAllowed => "Method not allowed",
        ReasonKind.Unavailable => "Unavailable",
        ReasonKind.Upstream => "Upstream failed",
        ReasonKind.Internal => "Internal error",
        _ => "Refused",
    };
}
