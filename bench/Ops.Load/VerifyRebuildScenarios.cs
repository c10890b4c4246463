using System.Diagnostics;
using System.Globalization;
using Ops.Packs.Notes.Contracts;

namespace Ops.Load;

/// <summary>
/// log verify over the batched-append log: events/s of the hash-chain check, next to a raw sequential
/// read of every column of the same rows (the I/O limit under it). Raw, kernel, raw: the raw figure is
/// the mean of the two reads around the kernel's, after an untimed read that warms the page cache.
/// </summary>
internal static class VerifyScenario
{
    public static async Task RunAsync(LoadOptions options, SharedLog log, Report report)
    {
        var kernel = log.Kernel;
        var settings = DbSettings.Of(log.KernelPath, options.Synchronous);
        RawLog.SequentialRead(log.KernelPath, options.Synchronous, allColumns: true); // warm the page cache for both sides
        var before = RawLog.SequentialRead(log.KernelPath, options.Synchronous, allColumns: true);
        var watch = Stopwatch.StartNew();
        var result = await kernel.EventLog.VerifyAsync(null, CancellationToken.None);
        var elapsed = watch.Elapsed;
        var after = RawLog.SequentialRead(log.KernelPath, options.Synchronous, allColumns: true);
        if (!result.IsValid)
        {
            throw new InvalidOperationException($"verify found a broken chain at {result.FirstBrokenPosition}: {result.Problem}");
        }

        settings["rows"] = result.RowsChecked;
        settings["event_bytes"] = log.Shape!.Envelope.Length;
        report.Settings("verify", settings);
        var rate = result.RowsChecked / elapsed.TotalSeconds;
        var rawRate = (before.Rows + after.Rows) / (before.Elapsed + after.Elapsed).TotalSeconds;
        report.Add(new Figure("verify", $"log verify, {result.RowsChecked:N0} events (events/s)", rate, rawRate, "events/s", ">= 200,000/s", rate >= 200_000));
    }
}

/// <summary>
/// Projection rebuild from the log: pack.notes.notes.NoteIndex rebuilt over the batched-append log
/// (every event a NoteCreated of a new note, so one document per event), next to a raw sequential
/// read of (position, envelope) of the same rows.
/// </summary>
internal static class RebuildScenario
{
    public static async Task RunAsync(LoadOptions options, SharedLog log, Report report)
    {
        var kernel = log.Kernel;
        var settings = DbSettings.Of(log.KernelPath, options.Synchronous);
        RawLog.SequentialRead(log.KernelPath, options.Synchronous, allColumns: false); // warm the page cache for both sides
        var before = RawLog.SequentialRead(log.KernelPath, options.Synchronous, allColumns: false);
        var watch = Stopwatch.StartNew();
        await kernel.Projections.RebuildAsync(NoteNames.NoteIndex, CancellationToken.None);
        var elapsed = watch.Elapsed;
        var after = RawLog.SequentialRead(log.KernelPath, options.Synchronous, allColumns: false);
        var head = await kernel.EventLog.HeadPositionAsync(CancellationToken.None);
        settings["rows"] = head;
        settings["event_bytes"] = log.Shape!.Envelope.Length;
        settings["projection"] = NoteNames.NoteIndex + " (one document per note; every event creates a note)";
        report.Settings("rebuild", settings);
        var rate = head / elapsed.TotalSeconds;
        var rawRate = (before.Rows + after.Rows) / (before.Elapsed + after.Elapsed).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   rebuild of {head:N0} events took {elapsed.TotalSeconds:F1} s"));
        report.Add(new Figure("rebuild", $"projection rebuild, {head:N0} events (events/s)", rate, rawRate, "events/s", ">= 50% of raw read", rate >= 0.5 * rawRate));
    }
}
