using Microsoft.Extensions.Logging;

namespace Ops.Core.Packs;

/// <summary>
/// The kernel's boundary around pack code (issue 16 item 6): an exception a pack's handler throws is caught where the
/// kernel called it, counted, logged with its stack for the pack's author, and answered as
/// <see cref="Errors.ReasonCodes.PackFault"/> naming the pack. The answer carries the exception's type, never its
/// message: that is the pack's text, and it may hold data the caller must not see.
/// </summary>
internal static class PackFaults
{
    /// <summary>Whether <paramref name="owner"/> is a pack rather than the kernel, whose own failures stay internal errors.</summary>
    public static bool IsPack(string owner) => owner != LoadedPack.Core.PackId;

    /// <summary>Counts and logs a caught exception; returns the reason to answer with.</summary>
    /// <param name="logger">Where the exception and its stack go; null in the pack test kit, which shows the exception itself.</param>
    /// <param name="pack">The pack whose code threw.</param>
    /// <param name="where">What the kernel was running, e.g. "its handler of pack.notes.notes.CreateNote".</param>
    /// <param name="exception">What it threw.</param>
    public static string Caught(ILogger? logger, string pack, string where, Exception exception)
    {
        var type = exception.GetType().FullName ?? exception.GetType().Name;
        Hosting.OpsTelemetry.PackFaults.Add(1, new KeyValuePair<string, object?>("pack", pack));
        if (logger is not null)
        {
            CoreLog.PackFault(logger, pack, where, type, exception);
        }

        return $"pack '{pack}' failed in {where}: it threw {type}. The kernel caught it and nothing was changed; the pack's own message is in the worker's log.";
    }
}
