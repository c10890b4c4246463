using System.Diagnostics;
using System.Globalization;
using Ops.Load;

// dotnet run -c Release --project bench/Ops.Load -- <scenario> [options]   (see LoadOptions.Usage)
LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine("ops-load: " + ex.Message);
    Console.Error.WriteLine(LoadOptions.Usage);
    return 2;
}

if (options.Help)
{
    Console.WriteLine(LoadOptions.Usage);
    return 0;
}

Directory.CreateDirectory(options.WorkDirectory);
var report = new Report(options);
var total = Stopwatch.StartNew();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ops-load: {string.Join(", ", options.Scenarios)} ({(options.Quick ? "quick" : "full")}), {Environment.ProcessorCount} cores, work folder {options.WorkDirectory}"));
var failed = false;
try
{
    await using var raw = new RawBaselines(options);
    var shared = new SharedLog(options);
    foreach (var scenario in options.Scenarios)
    {
        var started = Stopwatch.StartNew();
        Console.WriteLine();
        Console.WriteLine($"== {scenario}");
        try
        {
            switch (scenario)
            {
                case "append-single":
                    await AppendSingleScenario.RunAsync(options, raw, report);
                    break;
                case "append-batch":
                    await shared.EnsureAsync(report);
                    break;
                case "verify":
                    await VerifyScenario.RunAsync(options, await shared.EnsureAsync(report), report);
                    break;
                case "rebuild":
                    await RebuildScenario.RunAsync(options, await shared.EnsureAsync(report), report);
                    break;
                case "http":
                    await HttpScenario.RunAsync(options, raw, report);
                    break;
                case "github":
                    await GitHubScenario.RunAsync(options, report);
                    break;
                case "triggers":
                    TriggerCostScenario.Run(options, report);
                    break;
                case "postgres":
                    await PostgresScenario.RunAsync(options, report);
                    break;
                case "pg-rebuild":
                    await PostgresRebuildScenario.RunAsync(options, report);
                    break;
                default:
                    throw new InvalidOperationException("unknown scenario " + scenario);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            failed = true;
            report.Failure(scenario, ex);
            Console.Error.WriteLine($"ops-load: scenario {scenario} failed: {ex}");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   ({scenario} took {started.Elapsed.TotalSeconds:F1} s)"));
    }

    await shared.DisposeAsync();
}
finally
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    if (!options.Keep && options.OwnsWorkDirectory)
    {
        try
        {
            Directory.Delete(options.WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open only leaves a temp folder behind.
        }
    }
}

report.Print(Console.Out, total.Elapsed);
var path = report.WriteJson(total.Elapsed);
Console.WriteLine($"JSON: {path}");
return failed ? 1 : 0;
