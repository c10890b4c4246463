using System.Data.Common;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Ops.Core.Connectors;
using Ops.Core.Errors;
using Ops.Core.Log;
using Ops.Core.Projections;
using Ops.Core.Routing;

namespace Ops.Host.Edge;

/// <summary>
/// The host's one translation of a failure into a reason code and words (issue 21 item 3), read by the HTTP exception
/// handler (<see cref="Worker"/>), the CLI (<see cref="Cli.CliErrors"/>) and the worker's start-up alike, so the three
/// never disagree on what a failure is. The code comes from the <see cref="OpsException"/> itself or, for the few typed
/// failures the kernel and the framework raise, from the exception's type; never from its text. Each code's HTTP status
/// and exit code are then read from the one kind table, <see cref="EdgeReasons"/>.
/// </summary>
internal static class EdgeErrors
{
    /// <summary>The code and the words for <paramref name="exception"/>; anything unknown is <see cref="ReasonCodes.Internal"/>.</summary>
    public static EdgeError Classify(Exception exception) => exception switch
    {
        OpsException ops => new(ops.Code, ops.Message, ops.Message),
        LogCommitException => new(ReasonCodes.LogUnavailable, exception.Message, "The log could not commit."),
        ProjectionFailedException => new(ReasonCodes.Internal, exception.Message, "A projection failed; the details are in the worker's log."),
        RouteMissingException or OptionsValidationException => new(ReasonCodes.ConfigurationInvalid, exception.Message, "The worker's configuration is not usable; the details are in its log."),
        ConnectorDeniedException => new(ReasonCodes.CapabilityDenied, exception.Message, exception.Message),
        // The upstream's words stay in the worker's log: an echoing upstream must not put a token in a response.
        ConnectorException => new(ReasonCodes.UpstreamFailed, exception.Message, "The connector's source failed or answered unexpectedly; the details are in the worker's log."),
        BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge => new(ReasonCodes.BadRequest, exception.Message, $"The request body is larger than {Worker.MaxRequestBodyBytes / 1024} KiB."),
        BadHttpRequestException => new(ReasonCodes.BadRequest, exception.Message, "The request could not be read."),
        // A file an operator gave the CLI: where it is wrong, not the parser's .NET wording.
        JsonException json => new(ReasonCodes.BadRequest, $"a file given to this command is not valid JSON of the expected shape{(json.LineNumber is { } line ? $" (line {line + 1}{(json.Path is { Length: > 0 } path ? ", at " + path : string.Empty)})" : string.Empty)}. Nothing was changed.", "The request could not be read.", Worded: true),
        // The database itself refused (a schema SQLite cannot parse, a server that refuses): its words for the operator, and what to do.
        DbException db => new(ReasonCodes.LogUnavailable, $"the database could not be read ({db.Message}). If its file or schema was altered, restore it from a backup; nothing was changed.", "The database could not be read; the details are in the worker's log.", Worded: true),
        _ => new(ReasonCodes.Internal, exception.Message, "The worker failed to handle the request; the details are in its log."),
    };

    /// <summary>
    /// Whether a failure while the worker starts is one an operator can act on (configuration, routes, the database, a
    /// refused migration), reported in one line instead of a stack trace.
    /// </summary>
    public static bool IsStartFailure(Exception exception) =>
        exception is OpsException or RouteMissingException or DbException or OptionsValidationException or LogCommitException;

    /// <summary>A classified failure.</summary>
    /// <param name="Code">The reason code: the <see cref="OpsException"/>'s own, else one fixed per exception type.</param>
    /// <param name="Operator">The words for the operator (CLI, start-up, the worker's log); may carry a database's own text.</param>
    /// <param name="Public">The words for an HTTP client: never SQL text, .NET type names or an upstream's body.</param>
    /// <param name="Worded">The edge wrote <paramref name="Operator"/> itself, ending with what did not change; a caller adds nothing to it.</param>
    internal sealed record EdgeError(string Code, string Operator, string Public, bool Worded = false);
}
