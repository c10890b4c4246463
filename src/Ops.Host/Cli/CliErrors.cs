using Ops.Core.Envelopes;
using Ops.Host.Edge;

namespace Ops.Host.Cli;

/// <summary>
/// The CLI's one translator (issue 8 item 3): a rejection's reason code or a failure becomes an exit code and a line
/// on standard error. The exit code comes from the kind table the HTTP edge reads too (<see cref="EdgeReasons"/>):
/// 0 done, 1 refused or failed (nothing changed), 2 usage. Exceptions are classified in the host's one place,
/// <see cref="EdgeErrors"/>, by type and reason code, never by their text; the text shown is the operator's.
/// </summary>
internal static class CliErrors
{
    /// <summary>The reason code a failure stands for, from the host's one translation (<see cref="EdgeErrors.Classify"/>).</summary>
    public static string CodeOf(Exception exception) => EdgeErrors.Classify(exception).Code;

    /// <summary>The exit code for a failure: its code's row of the kind table (usage errors are found by the parser, not by an exception).</summary>
    public static int ExitCodeOf(Exception exception) => EdgeReasons.For(CodeOf(exception)).ExitCode;

    /// <summary>The line shown for a failure: the operator's words of <see cref="EdgeErrors.Classify"/>, then <paramref name="suffix"/> unless the edge worded it whole.</summary>
    public static string MessageOf(Exception exception, string? suffix = null)
    {
        var failure = EdgeErrors.Classify(exception);
        return "ops: " + failure.Operator + (suffix is null || failure.Worded ? string.Empty : " " + suffix);
    }

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
