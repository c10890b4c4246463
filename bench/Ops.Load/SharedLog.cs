using System.Diagnostics;
using System.Globalization;
using Ops.Core.Envelopes;
using Ops.Core.Hosting;

namespace Ops.Load;

/// <summary>
/// The batched append (issue 4: batches of 100, 1,000,000 events), which also builds the log that
/// verify and rebuild read. Kernel and raw alternate by tenth of the run, so each tenth of each side
/// is measured next to the other's on the same machine state, and the per-tenth rates show any
/// slow-down as the table grows.
/// </summary>
internal sealed class SharedLog(LoadOptions options) : IAsyncDisposable
{
    private OpsKernel? _kernel;

    public string KernelPath => Path.Combine(options.WorkDirectory, "batch", "kernel.db");

    public string RawPath => Path.Combine(options.WorkDirectory, "batch", "raw.db");

    public long Events { get; private set; }

    public RowShape? Shape { get; private set; }

    public async Task<SharedLog> EnsureAsync(Report report)
    {
        if (_kernel is not null)
        {
            return this;
        }

        var reuse = options.Reuse && File.Exists(KernelPath);
        _kernel = await KernelFactory.OpenAsync(KernelPath, options.Synchronous, initialize: !reuse);
        var drafts = new NoteDrafts();
        Shape = drafts.Shape();
        if (reuse)
        {
            Events = await _kernel.EventLog.HeadPositionAsync(CancellationToken.None);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   reusing the log at {KernelPath} ({Events:N0} events)"));
            return this;
        }

        using var raw = new RawLog(RawPath, options.Synchronous);
        var rows = new RawRows(Shape);
        var total = options.BatchEvents;
        var batch = LoadOptions.BatchSize;
        var settings = raw.Settings;
        settings["event_bytes"] = Shape.Envelope.Length;
        settings["row_bytes"] = Shape.RowBytes;
        settings["batch_size"] = batch;
        settings["rows"] = total;
        settings["streams"] = "one new stream per event (random stream id)";
        report.Settings("append-batch", settings);

        var tenths = new List<Dictionary<string, object>>();
        var kernelTime = TimeSpan.Zero;
        var rawTime = TimeSpan.Zero;
        long next = 0;
        for (var tenth = 0; tenth < 10; tenth++)
        {
            var count = (total * (tenth + 1) / 10) - (total * tenth / 10);
            var rawElapsed = raw.InsertBatches(count, batch, rows);
            var kernelElapsed = await AppendBatchesAsync(_kernel, drafts, next, count, batch);
            next += count;
            rawTime += rawElapsed;
            kernelTime += kernelElapsed;
            var kernelRate = count / kernelElapsed.TotalSeconds;
            var rawRate = count / rawElapsed.TotalSeconds;
            tenths.Add(new Dictionary<string, object>
            {
                ["tenth"] = tenth + 1,
                ["rows_after"] = next,
                ["kernel_events_per_s"] = Math.Round(kernelRate),
                ["raw_rows_per_s"] = Math.Round(rawRate),
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   tenth {tenth + 1,2}: kernel {kernelRate,9:N0} events/s   raw {rawRate,9:N0} rows/s   ratio {kernelRate / rawRate:P0}   (rows so far {next:N0})"));
        }

        Events = total;
        var kernelOverall = total / kernelTime.TotalSeconds;
        var rawOverall = total / rawTime.TotalSeconds;
        var first = (double)tenths[0]["kernel_events_per_s"];
        var last = (double)tenths[^1]["kernel_events_per_s"];
        var firstRaw = (double)tenths[0]["raw_rows_per_s"];
        var lastRaw = (double)tenths[^1]["raw_rows_per_s"];
        var details = new Dictionary<string, object>
        {
            ["synchronous"] = options.Synchronous,
            ["tenths"] = tenths,
            ["kernel_seconds"] = Math.Round(kernelTime.TotalSeconds, 1),
            ["raw_seconds"] = Math.Round(rawTime.TotalSeconds, 1),
        };
        report.Add(new Figure("append-batch", $"append batches of {batch}, {total:N0} events, {options.Synchronous} (events/s)", kernelOverall, rawOverall, "events/s", ">= 70% of raw", kernelOverall >= 0.7 * rawOverall, details));
        report.Add(new Figure("append-batch", "last tenth / first tenth rate", last / first, lastRaw / firstRaw, "x", ">= 0.50", last / first >= 0.5));
        return this;
    }

    public OpsKernel Kernel => _kernel ?? throw new InvalidOperationException("The shared log is not built.");

    /// <summary>
    /// Appends count events in writer transactions of batch events each (one ExecuteAsync per batch,
    /// awaited before the next). Only the ExecuteAsync calls are timed: the drafts, the gateway's work,
    /// are built between them with the clock stopped, as the raw side's rows cost it nothing either.
    /// </summary>
    internal static async Task<TimeSpan> AppendBatchesAsync(OpsKernel kernel, NoteDrafts drafts, long first, long count, int batch)
    {
        var start = DateTimeOffset.UtcNow;
        var items = new (string Stream, EventEnvelope Draft)[batch];
        var elapsed = TimeSpan.Zero;
        for (long done = 0; done < count; done += batch)
        {
            var n = (int)Math.Min(batch, count - done);
            for (var i = 0; i < n; i++)
            {
                var index = first + done + i;
                items[i] = drafts.Create(index, start.AddTicks(index));
            }

            var began = Stopwatch.GetTimestamp();
            await kernel.Writer.ExecuteAsync(
                async (session, ct) =>
                {
                    for (var i = 0; i < n; i++)
                    {
                        await session.AppendAsync(items[i].Stream, 0, [items[i].Draft], ct);
                    }

                    return n;
                },
                CancellationToken.None);
            elapsed += Stopwatch.GetElapsedTime(began);
        }

        return elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        if (_kernel is not null)
        {
            await _kernel.DisposeAsync();
            _kernel = null;
        }
    }
}
