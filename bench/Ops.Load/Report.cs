using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ops.Load;

/// <summary>One measured figure: the kernel's value next to the raw engine's limit on the same settings.</summary>
internal sealed record Figure(
    string Scenario,
    string Name,
    double Kernel,
    double? Raw,
    string Unit,
    string? Target,
    bool? Met,
    IReadOnlyDictionary<string, object>? Details = null)
{
    public double? Ratio => Raw is > 0 ? Kernel / Raw.Value : null;
}

/// <summary>Collects figures and settings; prints the table and writes the JSON file.</summary>
internal sealed class Report(LoadOptions options)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private readonly List<Figure> _figures = [];
    private readonly Dictionary<string, Dictionary<string, object>> _settings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _failures = new(StringComparer.Ordinal);

    public IReadOnlyList<Figure> Figures => _figures;

    public void Add(Figure figure)
    {
        _figures.Add(figure);
        var ratio = figure.Ratio is { } r ? string.Create(CultureInfo.InvariantCulture, $"  ratio {r:P0}") : string.Empty;
        var raw = figure.Raw is { } v ? "  raw " + Format(v, figure.Unit) : string.Empty;
        var target = figure.Target is null ? string.Empty : $"  target {figure.Target}: {(figure.Met == true ? "met" : "MISSED")}";
        Console.WriteLine($"   {figure.Name}: kernel {Format(figure.Kernel, figure.Unit)}{raw}{ratio}{target}");
    }

    /// <summary>The settings a scenario ran with (synchronous mode, cache size, event size, batch size, rows...).</summary>
    public void Settings(string scenario, IDictionary<string, object> settings)
    {
        if (!_settings.TryGetValue(scenario, out var existing))
        {
            _settings[scenario] = existing = new Dictionary<string, object>(StringComparer.Ordinal);
        }

        foreach (var (key, value) in settings)
        {
            existing[key] = value;
        }

        Console.WriteLine("   settings: " + string.Join(", ", settings.Select(kv => $"{kv.Key}={Convert.ToString(kv.Value, CultureInfo.InvariantCulture)}")));
    }

    public void Failure(string scenario, Exception ex) => _failures[scenario] = ex.GetType().Name + ": " + ex.Message;

    public static string Format(double value, string unit) => unit switch
    {
        "ms" => string.Create(CultureInfo.InvariantCulture, $"{value:F2} ms"),
        "x" => string.Create(CultureInfo.InvariantCulture, $"{value:F2}x"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{value:N0} {unit}"),
    };

    public void Print(TextWriter output, TimeSpan elapsed)
    {
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"== results ({(options.Quick ? "QUICK: sizes too small to mean anything" : "full run")}, {elapsed.TotalMinutes:F1} min, {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription})"));
        var rows = new List<string[]> { new[] { "scenario", "figure", "kernel", "raw limit", "ratio", "target", "met" } };
        foreach (var f in _figures)
        {
            rows.Add([
                f.Scenario,
                f.Name,
                Format(f.Kernel, f.Unit),
                f.Raw is { } raw ? Format(raw, f.Unit) : "-",
                f.Ratio is { } ratio ? ratio.ToString("P0", CultureInfo.InvariantCulture) : "-",
                f.Target ?? "-",
                f.Met switch { true => "yes", false => "NO", null => "-" },
            ]);
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var (row, index) in rows.Select((r, i) => (r, i)))
        {
            output.WriteLine("| " + string.Join(" | ", row.Select((cell, c) => c >= 2 && c <= 4 && index > 0 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))) + " |");
            if (index == 0)
            {
                output.WriteLine("|" + string.Join("|", widths.Select((w, c) => c >= 2 && c <= 4 ? new string('-', w + 1) + ":" : new string('-', w + 2))) + "|");
            }
        }

        output.WriteLine();
        foreach (var (scenario, settings) in _settings)
        {
            output.WriteLine($"settings {scenario}: " + string.Join(", ", settings.Select(kv => $"{kv.Key}={Convert.ToString(kv.Value, CultureInfo.InvariantCulture)}")));
        }

        foreach (var (scenario, failure) in _failures)
        {
            output.WriteLine($"FAILED {scenario}: {failure}");
        }
    }

    public string WriteJson(TimeSpan elapsed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(options.OutputPath)!);
        var document = new
        {
            Mode = options.Quick ? "quick" : "full",
            StartedAtUtc = DateTime.UtcNow - elapsed,
            ElapsedSeconds = Math.Round(elapsed.TotalSeconds, 1),
            Machine = new
            {
                Cores = Environment.ProcessorCount,
                Runtime = RuntimeInformation.FrameworkDescription,
                Os = RuntimeInformation.OSDescription,
                Architecture = RuntimeInformation.ProcessArchitecture.ToString(),
            },
            Scenarios = options.Scenarios,
            Settings = _settings,
            Figures = _figures.Select(f => new
            {
                f.Scenario,
                f.Name,
                Kernel = Math.Round(f.Kernel, 3),
                Raw = f.Raw is { } raw ? Math.Round(raw, 3) : (double?)null,
                Ratio = f.Ratio is { } ratio ? Math.Round(ratio, 4) : (double?)null,
                f.Unit,
                f.Target,
                f.Met,
                f.Details,
            }),
            Failures = _failures,
        };
        File.WriteAllText(options.OutputPath, JsonSerializer.Serialize(document, Json));
        return options.OutputPath;
    }
}
