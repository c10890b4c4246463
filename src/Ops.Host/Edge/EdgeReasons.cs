using Ops.Core.Errors;

namespace Ops.Host.Edge;

/// <summary>
/// The one table from a reason's kind to what each edge shows: the HTTP status and problem title
/// (<see cref="Http.Problems"/>) and the CLI exit code (<see cref="Cli.CliErrors"/>). Keyed by
/// <see cref="ReasonCodes.KindOf"/>, so a code is classified once, in Ops.Core, and read here once.
/// </summary>
internal static class EdgeReasons
{
    /// <summary>Exit code: done.</summary>
    public const int Success = 0;

    /// <summary>Exit code: refused or failed; nothing changed (docs/operations.md).</summary>
    public const int Refused = 1;

    /// <summary>Exit code: the command line itself is wrong (unknown verb, missing argument); nothing was done.</summary>
    public const int Usage = 2;

    private static readonly Dictionary<ReasonKind, Entry> Table = new()
    {
        [ReasonKind.BadRequest] = new(StatusCodes.Status400BadRequest, "Bad request", Refused),
        [ReasonKind.Unauthenticated] = new(StatusCodes.Status401Unauthorized, "Not authenticated", Refused),
        [ReasonKind.Forbidden] = new(StatusCodes.Status403Forbidden, "Forbidden", Refused),
        [ReasonKind.NotFound] = new(StatusCodes.Status404NotFound, "Not found", Refused),
        [ReasonKind.Conflict] = new(StatusCodes.Status409Conflict, "Conflict", Refused),
        [ReasonKind.PreconditionRequired] = new(StatusCodes.Status428PreconditionRequired, "Precondition required", Refused),
        [ReasonKind.Unprocessable] = new(StatusCodes.Status422UnprocessableEntity, "Refused", Refused),
        [ReasonKind.RateLimited] = new(StatusCodes.Status429TooManyRequests, "Too many requests", Refused),
        [ReasonKind.UnsupportedMediaType] = new(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", Refused),
        [ReasonKind.MethodNotAllowed] = new(StatusCodes.Status405MethodNotAllowed, "Method not allowed", Refused),
        [ReasonKind.Unavailable] = new(StatusCodes.Status503ServiceUnavailable, "Unavailable", Refused),
        [ReasonKind.Upstream] = new(StatusCodes.Status502BadGateway, "Upstream failed", Refused),
        [ReasonKind.Internal] = new(StatusCodes.Status500InternalServerError, "Internal error", Refused),
    };

    /// <summary>Every kind's entry (a test checks that no <see cref="ReasonKind"/> is missing).</summary>
    public static IReadOnlyDictionary<ReasonKind, Entry> All => Table;

    /// <summary>The entry for a reason code; a code outside the catalogue (a pack handler's own) is <see cref="ReasonKind.Unprocessable"/>.</summary>
    public static Entry For(string? code) => Table[ReasonCodes.KindOf(code)];

    /// <summary>What one kind of reason looks like at each edge.</summary>
    /// <param name="HttpStatus">The HTTP status of the problem+json response.</param>
    /// <param name="Title">The problem's title.</param>
    /// <param name="ExitCode">The CLI's exit code.</param>
    public sealed record Entry(int HttpStatus, string Title, int ExitCode);
}
