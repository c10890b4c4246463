using System.Diagnostics;
using System.Globalization;

namespace Ops.Load;

/// <summary>
/// What the append-only insert triggers of migration 20261201000002 cost (issue 7 item 5): the same raw
/// prepared INSERT of the same rows into a log migrated up to 20261121000001 only (UPDATE/DELETE
/// triggers, no insert trigger) and into one migrated to the latest (the BEFORE INSERT trigger that
/// refuses a replacing insert: three index probes per row). One row per transaction under FULL and
/// NORMAL, and batches of 100 under FULL, in alternating rounds so both see the same machine. The
/// "kernel" column is the table with the trigger, the "raw" column the table without.
/// </summary>
internal static class TriggerCostScenario
{
    private const string BeforeTrigger = "20261121000001_InitialLog";
    private const int Rounds = 4;

    public static void Run(LoadOptions options, Report report)
    {
        var shape = new NoteDrafts().Shape();
        foreach (var synchronous in new[] { "FULL", "NORMAL" })
        {
            var count = synchronous == "FULL" ? options.SingleEventsFull : options.SingleEventsNormal;
            Measure(options, report, shape, synchronous, count, 1);
        }

        Measure(options, report, shape, "FULL", (int)Math.Min(options.BatchEvents, 200_000), 100);
    }

    private static void Measure(LoadOptions options, Report report, RowShape shape, string synchronous, int count, int batch)
    {
        var folder = Path.Combine(options.WorkDirectory, $"triggers-{synchronous.ToLowerInvariant()}-{batch}");
        using var without = new RawLog(Path.Combine(folder, "without.db"), synchronous, BeforeTrigger);
        using var with = new RawLog(Path.Combine(folder, "with.db"), synchronous);
        var rowsWithout = new RawRows(shape);
        var rowsWith = new RawRows(shape);
        var settings = with.Settings;
        settings["rows"] = count;
        settings["batch_size"] = batch;
        settings["rounds"] = Rounds;
        settings["compared"] = $"migrated to {BeforeTrigger} (no insert trigger) vs latest (events_refuse_replace)";
        report.Settings($"triggers {synchronous} batch {batch}", settings);

        // CPU time as well as wall time: on a shared machine the wall clock moves with other people's work,
        // this process's CPU time much less, and the trigger's cost is CPU (index probes on hot pages).
        TimeSpan withoutCpu = TimeSpan.Zero, withCpu = TimeSpan.Zero;
        TimeSpan Insert(RawLog log, RawRows rows, int n) => batch == 1 ? log.InsertOnePerTransaction(n, rows) : log.InsertBatches(n, batch, rows);
        TimeSpan Timed(RawLog log, RawRows rows, int n, ref TimeSpan cpu)
        {
            var before = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Insert(log, rows, n);
            cpu += Process.GetCurrentProcess().TotalProcessorTime - before;
            return wall;
        }

        var warm = Math.Max(batch, count / 20);
        Insert(without, rowsWithout, warm);
        Insert(with, rowsWith, warm);
        var perRound = count / Rounds;
        TimeSpan withoutTime = TimeSpan.Zero, withTime = TimeSpan.Zero;
        for (var round = 0; round < Rounds; round++)
        {
            // Alternate which goes first, so neither always meets a cooler cache.
            if (round % 2 == 0)
            {
                withoutTime += Timed(without, rowsWithout, perRound, ref withoutCpu);
                withTime += Timed(with, rowsWith, perRound, ref withCpu);
            }
            else
            {
                withTime += Timed(with, rowsWith, perRound, ref withCpu);
                withoutTime += Timed(without, rowsWithout, perRound, ref withoutCpu);
            }
        }

        var total = perRound * Rounds;
        var withRate = total / withTime.TotalSeconds;
        var withoutRate = total / withoutTime.TotalSeconds;
        var perRow = (withTime - withoutTime).TotalMicroseconds / total;
        var cpuWith = withCpu.TotalMicroseconds / total;
        var cpuWithout = withoutCpu.TotalMicroseconds / total;
        report.Add(new Figure(
            "triggers",
            string.Create(CultureInfo.InvariantCulture, $"raw insert with / without the insert trigger, {(batch == 1 ? "1 row/tx" : $"batches of {batch}")}, {synchronous} (rows/s)"),
            withRate,
            withoutRate,
            "rows/s",
            null,
            null,
            new Dictionary<string, object> { ["added_wall_us_per_row"] = Math.Round(perRow, 2), ["cpu_us_per_row_with"] = Math.Round(cpuWith, 2), ["cpu_us_per_row_without"] = Math.Round(cpuWithout, 2) }));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {synchronous} batch {batch}: with trigger {withRate:N0} rows/s, without {withoutRate:N0} rows/s ({withRate / withoutRate:P0}; wall {perRow:+0.0;-0.0} µs per row); CPU {cpuWith:0.0} vs {cpuWithout:0.0} µs per row ({cpuWith - cpuWithout:+0.0;-0.0} µs, {cpuWith / cpuWithout - 1:+0%;-0%})"));
    }
}
