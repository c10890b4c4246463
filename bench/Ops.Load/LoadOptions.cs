using System.Globalization;

namespace Ops.Load;

/// <summary>Command line of the harness. Every size has a full and a quick (CI smoke) value.</summary>
internal sealed class LoadOptions
{
    public static readonly string[] AllScenarios = ["append-single", "append-batch", "verify", "rebuild", "http", "github", "triggers", "postgres", "pg-rebuild"];

    public const string Usage = """
        usage: dotnet run -c Release --project bench/Ops.Load -- <scenario>... [options]
          scenarios: append-single | append-batch | verify | rebuild | http | github | triggers | postgres | pg-rebuild | all
          --quick            every scenario tiny (CI smoke test: checks it completes, not its speed)
          --events N         events of the batched append, verify and rebuild log (full: 1,000,000)
          --single N         events per side and synchronous mode of the one-event append (full: 20,000 FULL, 40,000 NORMAL)
          --seconds S        measuring time per client level of the HTTP scenario (full: 10)
          --issues N         issues served to the GitHub connector (full: 100,000)
          --sync FULL|NORMAL synchronous mode of the batched append, verify, rebuild and github scenarios (default FULL)
          --out FILE         where to write the JSON result (default: <temp>/ops-load/ops-load-<utc>.json)
          --dir DIR          work folder for the databases (default: a new temp folder, deleted at the end)
          --keep             keep the work folder
          --reuse            with --dir: verify and rebuild read the log a previous --keep run left there
                             (no append-batch figure), for iterating on verify and rebuild
          --postgres CS      a PostgreSQL superuser's Npgsql connection string for the postgres scenario
                             (default: $OPS_TEST_POSTGRES; under all, the scenario is skipped without one)
          --pg-single N      events per measurement of the postgres one-event appends (full: 5,000)
          --pg-events N      events per measurement of the postgres batched appends (full: 200,000)
          pg-rebuild         the rebuild scenario on PostgreSQL: --events N events appended by the kernel, then
                             NoteIndex rebuilt, against a raw read of (position, envelope) (needs --postgres)
          --pg-targets       postgres: only the figures with a target and their raw baselines (no Marten, no
                             prepared-statement question, no 8-caller rows), for iterating
        """;

    public List<string> Scenarios { get; } = [];

    public bool Quick { get; private set; }

    public bool Help { get; private set; }

    public bool Keep { get; private set; }

    /// <summary>Reuse the batched-append log a kept run left in --dir instead of appending a new one.</summary>
    public bool Reuse { get; private set; }

    public long BatchEvents { get; private set; }

    public int SingleEventsFull { get; private set; }

    public int SingleEventsNormal { get; private set; }

    public double HttpSeconds { get; private set; }

    public int GitHubIssues { get; private set; }

    public string Synchronous { get; private set; } = "FULL";

    public string WorkDirectory { get; private set; } = "";

    public bool OwnsWorkDirectory { get; private set; }

    public string OutputPath { get; private set; } = "";

    public const int BatchSize = 100;

    /// <summary>The postgres scenario's server (a superuser, to create its databases), or null.</summary>
    public string? Postgres { get; private set; }

    /// <summary>Whether postgres was named on the command line (not only through all).</summary>
    public bool PostgresNamed { get; private set; }

    public int PostgresSingle { get; private set; }

    public int PostgresBatchEvents { get; private set; }

    /// <summary>Only the postgres figures with a target, and their raw baselines.</summary>
    public bool PostgresTargetsOnly { get; private set; }

    public static LoadOptions Parse(string[] args)
    {
        var o = new LoadOptions();
        long? events = null;
        int? single = null;
        double? seconds = null;
        int? issues = null;
        string? dir = null;
        string? output = null;
        int? pgSingle = null;
        int? pgEvents = null;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value.");
            switch (arg)
            {
                case "--quick": o.Quick = true; break;
                case "--keep": o.Keep = true; break;
                case "--reuse": o.Reuse = true; break;
                case "--help" or "-h": o.Help = true; break;
                case "--events": events = long.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--single": single = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--issues": issues = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--sync":
                    o.Synchronous = Next().ToUpperInvariant();
                    if (o.Synchronous is not ("FULL" or "NORMAL"))
                    {
                        throw new ArgumentException("--sync must be FULL or NORMAL.");
                    }

                    break;
                case "--out": output = Next(); break;
                case "--dir": dir = Next(); break;
                case "--postgres": o.Postgres = Next(); break;
                case "--pg-single": pgSingle = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--pg-events": pgEvents = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--pg-targets": o.PostgresTargetsOnly = true; break;
                case "all": o.Scenarios.AddRange(AllScenarios); break;
                default:
                    if (arg.StartsWith('-') || !AllScenarios.Contains(arg))
                    {
                        throw new ArgumentException($"unknown argument '{arg}'.");
                    }

                    o.Scenarios.Add(arg);
                    o.PostgresNamed |= arg is "postgres" or "pg-rebuild";
                    break;
            }
        }

        if (o.Scenarios.Count == 0 && !o.Help)
        {
            throw new ArgumentException("name a scenario, or all.");
        }

        // Run in a fixed order whatever the command line said, each once.
        var chosen = o.Scenarios.Distinct().ToList();
        o.Scenarios.Clear();
        o.Scenarios.AddRange(AllScenarios.Where(chosen.Contains));

        o.BatchEvents = events ?? (o.Quick ? 5_000 : 1_000_000);
        o.SingleEventsFull = single ?? (o.Quick ? 300 : 20_000);
        o.SingleEventsNormal = single ?? (o.Quick ? 300 : 40_000);
        o.HttpSeconds = seconds ?? (o.Quick ? 0.4 : 10);
        o.GitHubIssues = issues ?? (o.Quick ? 500 : 100_000);
        o.Postgres ??= Environment.GetEnvironmentVariable("OPS_TEST_POSTGRES") is { Length: > 0 } named ? named : null;
        o.PostgresSingle = pgSingle ?? (o.Quick ? 200 : 5_000);
        o.PostgresBatchEvents = pgEvents ?? (o.Quick ? 2_000 : 200_000);
        if (dir is null)
        {
            o.WorkDirectory = Path.Combine(Path.GetTempPath(), "ops-load", "run-" + Guid.NewGuid().ToString("N")[..12]);
            o.OwnsWorkDirectory = true;
        }
        else
        {
            o.WorkDirectory = Path.GetFullPath(dir);
        }

        o.OutputPath = Path.GetFullPath(output ?? Path.Combine(Path.GetTempPath(), "ops-load", $"ops-load-{DateTime.UtcNow:yyyyMMdd-HHmmss}{(o.Quick ? "-quick" : string.Empty)}.json"));
        return o;
    }
}
