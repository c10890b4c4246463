using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Log;
using Ops.Core.Projections;
using Ops.Core.Routing;
using Ops.Host.Edge;

namespace Ops.Host.Cli;

/// <summary>
/// The CLI's one translator (issue 8 item 3): a rejection's reason code or a failure becomes an exit code and a line
/// on standard error. The exit code comes from the kind table the HTTP edge reads too (<see cref="EdgeReasons"/>):
/// 0 done, 1 refused or failed (nothing changed), 2 usage. Exceptions are told apart by type and reason code, never
/// by their text; the text shown is the kernel's operator-facing message.
/// </summary>
internal static class CliErrors
{
    /// <summary>The reason code a failure stands for: the <see cref="OpsException"/>'s own, else one fixed per type; null for a plain operator-facing refusal.</summary>
    public static string? CodeOf(Exception exception) => exception switch
    {
        OpsException ops => ops.Code,
        LogCommitException => ReasonCodes.LogUnavailable,
        ProjectionFailedException => ReasonCodes.Internal,
        RouteMissingException or JsonException => ReasonCodes.BadRequest,
        System.Data.Common.DbException => ReasonCodes.LogUnavailable,
        _ => null,
    };

    /// <summary>The exit code for a failure: <see cref="EdgeReasons.Refused"/> for every kind of reason (usage errors are found by the parser, not by an exception).</summary>
    public static int ExitCodeOf(Exception exception) =>
        CodeOf(exception) is { } code ? EdgeReasons.For(code).ExitCode : EdgeReasons.Refused;

    /// <summary>The line shown for a failure. A JSON file that is not what the command reads says where, not the parser's .NET wording.</summary>
    public static string MessageOf(Exception exception, string? suffix = null) => exception switch
    {
        JsonException json => $"ops: a file given to this command is not valid JSON of the expected shape{(json.LineNumber is { } line ? $" (line {line + 1}{(json.Path is { Length: > 0 } path ? ", at " + path : string.Empty)})" : string.Empty)}. Nothing was changed.",
        // The database itself refused (a schema SQLite cannot parse, a server that refuses): its words, and what to do.
        System.Data.Common.DbException db => $"ops: the database could not be read ({db.Message}). If its file or schema was altered, restore it from a backup; nothing was changed.",
        _ => "ops: " + exception.Message + (suffix is null ? string.Empty : " " + suffix),
    };

    /// <summary>Writes the failure's line to <paramref name="error"/> and returns its exit code.</summary>
    public static async Task<int> ReportAsync(TextWriter error, Exception exception, string? suffix = null)
    {
        await error.WriteLineAsync(MessageOf(exception, suffix));
        return ExitCodeOf(exception);
    }

    /// <summary>The exit code of a command's outcome: 0 when accepted, else the exit code of its reason code's kind.</summary>
    public static int ExitCodeOf(CommandOutcome outcome) =>
        outcome.IsAccepted ? EdgeReasons.Success : EdgeReasons.For(outcome.ReasonCode).ExitCode;

    /// <summary>The line shown for a rejected command: its type, reason code and the kernel's reason.</summary>
    public static string RejectionOf(CommandOutcome outcome) => $"{outcome.CommandType}: rejected ({outcome.ReasonCode}): {outcome.Reason}";
}
