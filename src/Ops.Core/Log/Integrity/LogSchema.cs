using System.Security.Cryptography;
using System.Text;

namespace Ops.Core.Log.Integrity;

/// <summary>
/// The schema of the log's tables as the database describes it (issue 20 item 4): columns, indexes, triggers and the
/// functions they run, one normalised line per object, so what keeps the log append-only is itself part of the tamper
/// evidence. A trigger dropped, disabled or rewritten by any route (DROP TRIGGER, a renamed table copied back, SQLite's
/// writable_schema, CREATE OR REPLACE of a trigger function) changes a line.
/// </summary>
public sealed record LogSchema(IReadOnlyList<string> Lines)
{
    /// <summary>SHA-256 over the lines joined by newlines, 64 hex: what a checkpoint signs.</summary>
    public string Hash { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', Lines))));

    /// <summary>One line from catalogue columns: whitespace runs collapsed, so only a change of meaning (not of layout) counts.</summary>
    public static string Line(params string?[] parts) =>
        string.Join(" | ", parts.Select(p => string.Join(' ', (p ?? string.Empty).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))));

    /// <summary>The lines sorted ordinally, so the catalogue's own order never matters.</summary>
    public static LogSchema Of(IEnumerable<string> lines) => new([.. lines.Order(StringComparer.Ordinal)]);

    /// <summary>What differs from <paramref name="expected"/>, for an operator: what is missing and what is there that should not be.</summary>
    public string DescribeAgainst(LogSchema expected)
    {
        // Triggers first: they are what keeps the log append-only, and what an operator must hear about.
        var missing = expected.Lines.Except(Lines, StringComparer.Ordinal).OrderBy(Rank).ToList();
        var extra = Lines.Except(expected.Lines, StringComparer.Ordinal).OrderBy(Rank).ToList();
        var text = new StringBuilder();
        if (missing.Count > 0)
        {
            text.Append("missing or changed: ").AppendJoin("; ", missing.Take(4).Select(Short)).Append(missing.Count > 4 ? $"; and {missing.Count - 4} more" : string.Empty);
        }

        if (extra.Count > 0)
        {
            text.Append(text.Length > 0 ? ". " : string.Empty).Append("not created by the migrations: ").AppendJoin("; ", extra.Take(4).Select(Short)).Append(extra.Count > 4 ? $"; and {extra.Count - 4} more" : string.Empty);
        }

        return text.ToString();
    }

    private static int Rank(string line) =>
        line.StartsWith("trigger", StringComparison.Ordinal) ? 0 : line.StartsWith("table", StringComparison.Ordinal) || line.StartsWith("column", StringComparison.Ordinal) ? 1 : 2;

    private static string Short(string line) => line.Length <= 160 ? line : line[..157] + "...";
}
