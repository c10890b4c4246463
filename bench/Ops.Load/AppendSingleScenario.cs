using System.Diagnostics;
using System.Globalization;
using Ops.Core.Envelopes;

namespace Ops.Load;

/// <summary>
/// Append, one event per transaction: one caller appends one event at a time through the log API
/// (LogWriter.ExecuteAsync + WriteSession.AppendAsync), against a raw prepared INSERT of a row of the
/// same size into a table of the same shape, each in its own transaction. FULL and NORMAL, in
/// alternating rounds so that both sides see the same machine.
/// </summary>
internal static class AppendSingleScenario
{
    private const int Rounds = 4;

    public static async Task RunAsync(LoadOptions options, RawBaselines baselines, Report report)
    {
        foreach (var synchronous in new[] { "FULL", "NORMAL" })
        {
            var count = synchronous == "FULL" ? options.SingleEventsFull : options.SingleEventsNormal;
            var folder = Path.Combine(options.WorkDirectory, "append-single-" + synchronous.ToLowerInvariant());
            var drafts = new NoteDrafts();
            var shape = drafts.Shape();
            await using var kernel = await KernelFactory.OpenAsync(Path.Combine(folder, "kernel.db"), synchronous);
            using var raw = new RawLog(Path.Combine(folder, "raw.db"), synchronous);
            var rows = new RawRows(shape);
            var settings = raw.Settings;
            settings["event_bytes"] = shape.Envelope.Length;
            settings["row_bytes"] = shape.RowBytes;
            settings["batch_size"] = 1;
            settings["rows"] = count;
            settings["rounds"] = Rounds;
            report.Settings($"append-single {synchronous}", settings);

            // Warm-up: JIT, page cache, prepared statements.
            var warm = Math.Max(20, count / 20);
            raw.InsertOnePerTransaction(warm, rows);
            await AppendAsync(kernel, drafts, 0, warm);

            var perRound = count / Rounds;
            var rawTime = TimeSpan.Zero;
            var kernelTime = TimeSpan.Zero;
            var next = (long)warm;
            for (var round = 0; round < Rounds; round++)
            {
                rawTime += raw.InsertOnePerTransaction(perRound, rows);
                kernelTime += await AppendAsync(kernel, drafts, next, perRound);
                next += perRound;
            }

            var total = perRound * Rounds;
            var rawRate = total / rawTime.TotalSeconds;
            var kernelRate = total / kernelTime.TotalSeconds;
            baselines.RecordSingle(synchronous, rawRate);
            var met = kernelRate >= 0.85 * rawRate;
            report.Add(new Figure(
                "append-single",
                $"append 1 event/tx, {synchronous} (events/s)",
                kernelRate,
                rawRate,
                "events/s",
                ">= 85% of raw",
                met,
                new Dictionary<string, object>
                {
                    ["synchronous"] = synchronous,
                    ["kernel_us_per_event"] = Math.Round(kernelTime.TotalMicroseconds / total, 1),
                    ["raw_us_per_event"] = Math.Round(rawTime.TotalMicroseconds / total, 1),
                    ["writer_batches"] = kernel.Writer.BatchesCommitted,
                }));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {synchronous}: kernel {kernelTime.TotalMicroseconds / total:F1} us/event, raw {rawTime.TotalMicroseconds / total:F1} us/event"));
        }
    }

    /// <summary>count appends, each awaited before the next: one event per writer transaction.</summary>
    private static async Task<TimeSpan> AppendAsync(Ops.Core.Hosting.OpsKernel kernel, NoteDrafts drafts, long first, int count)
    {
        // Drafts are the gateway's job; build them before the clock starts so the figure is the log API's.
        var prepared = new (string Stream, EventEnvelope Draft)[count];
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++)
        {
            prepared[i] = drafts.Create(first + i, now.AddTicks(i));
        }

        var watch = Stopwatch.StartNew();
        foreach (var (stream, draft) in prepared)
        {
            await kernel.Writer.ExecuteAsync((session, ct) => session.AppendAsync(stream, 0, [draft], ct), CancellationToken.None);
        }

        return watch.Elapsed;
    }
}
