using System.Globalization;
using System.Text.RegularExpressions;

namespace Ops.Architecture.Tests.Docs;

/// <summary>
/// One citation of the constitution or a seed, where it was found, and the anchors of docs/requirements.md that
/// would satisfy it, most specific first.
/// </summary>
/// <param name="File">The file, relative to the repository root (or the name given for an in-memory text).</param>
/// <param name="Line">The 1-based line the citation starts on.</param>
/// <param name="Text">The citation in its normal form, one unit: <c>constitution A4</c>, <c>seed 001 §5.2</c>.</param>
/// <param name="Anchors">Candidate anchors: the unit's own, then its parent sections (never the whole seed).</param>
internal sealed record Citation(string File, int Line, string Text, IReadOnlyList<string> Anchors)
{
    public override string ToString() => $"{File}:{Line}: {Text} (no anchor {Anchors[0]} in docs/requirements.md)";
}

/// <summary>
/// Finds citations of the forms docs/requirements.md ("How to cite") defines, and the anchors that file has.
/// <c>constitution A&lt;n&gt;</c> → <c>constitution-a&lt;n&gt;</c>; <c>constitution §&lt;n&gt;</c> → <c>constitution-&lt;n&gt;</c>;
/// <c>seed 00&lt;n&gt;</c> → <c>seed-00&lt;n&gt;</c>; <c>seed 00&lt;n&gt; §&lt;x.y&gt;</c> → <c>seed-00&lt;n&gt;-&lt;x&gt;-&lt;y&gt;</c>, or a parent
/// section's anchor when the subsection has none. Lists ("constitution A3, A9", "constitution A5, §2") and ranges
/// ("seed 000 §3–4") are read as one citation per unit. Matching ignores case ("Seed 001", "Constitution §7").
/// </summary>
internal static partial class RequirementCitations
{
    /// <summary>The folders whose <c>*.cs</c> and <c>*.md</c> files are searched, relative to the repository root.</summary>
    public static readonly IReadOnlyList<string> SearchedFolders = ["src", "packs", "docs"];

    /// <summary>The summary the citations must lead to, relative to the repository root.</summary>
    public const string RequirementsFile = "docs/requirements.md";

    // A unit of the constitution: A<n> or §<n>, optionally a range (A3–A5, §3–4).
    private const string ConstitutionUnit = @"(?:A\d+|§\s?\d+)(?:\s?[–-]\s?(?:A|§)?\d+)?";

    // A section of a seed: 5, 2.1, 2.C, optionally a range (3–4).
    private const string SeedSection = @"\d+(?:\.[0-9a-z]+)*(?:\s?[–-]\s?\d+(?:\.[0-9a-z]+)*)?";

    /// <summary>Every citation in <paramref name="text"/>, in order of appearance.</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="file">The name to report the citations under.</param>
    public static IReadOnlyList<Citation> Find(string text, string file)
    {
        var found = new List<(int Index, Citation Citation)>();
        foreach (Match m in ConstitutionPattern().Matches(text))
        {
            var line = LineOf(text, m.Index);
            foreach (var unit in ListItems(m.Groups["units"].Value).SelectMany(ExpandConstitution))
            {
                found.Add((m.Index, new Citation(file, line, "constitution " + unit, [ConstitutionAnchor(unit)])));
            }
        }

        foreach (Match m in SeedPattern().Matches(text))
        {
            var line = LineOf(text, m.Index);
            var seed = m.Groups["seed"].Value;
            if (!m.Groups["sections"].Success)
            {
                found.Add((m.Index, new Citation(file, line, "seed " + seed, ["seed-" + seed])));
                continue;
            }

            foreach (var section in ListItems(m.Groups["sections"].Value).Select(item => item.TrimStart('§').Trim()).SelectMany(ExpandSeedSection))
            {
                found.Add((m.Index, new Citation(file, line, $"seed {seed} §{section}", SeedAnchors(seed, section))));
            }
        }

        return [.. found.OrderBy(f => f.Index).Select(f => f.Citation)];
    }

    /// <summary>Every citation in the <c>*.cs</c> and <c>*.md</c> files of <see cref="SearchedFolders"/> (bin/ and obj/ excluded).</summary>
    /// <param name="root">The repository root.</param>
    public static IReadOnlyList<Citation> FindInRepository(string root) =>
        [.. SearchedFolders
            .Select(folder => Path.Combine(root, folder))
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            .Where(path => path.EndsWith(".cs", StringComparison.Ordinal) || path.EndsWith(".md", StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(root, path).Replace('\\', '/'))
            .Where(relative => !relative.Split('/').Any(segment => segment is "bin" or "obj"))
            .Order(StringComparer.Ordinal)
            .SelectMany(relative => Find(File.ReadAllText(Path.Combine(root, relative)), relative))];

    /// <summary>The ids of the <c>&lt;a id="..."&gt;&lt;/a&gt;</c> anchors of a markdown text, in order, duplicates kept.</summary>
    /// <param name="markdown">The text of docs/requirements.md.</param>
    public static IReadOnlyList<string> Anchors(string markdown) =>
        [.. AnchorPattern().Matches(markdown).Select(m => m.Groups["id"].Value)];

    /// <summary>The citations none of whose candidate anchors is in <paramref name="anchors"/>.</summary>
    /// <param name="citations">The citations to check.</param>
    /// <param name="anchors">The anchors docs/requirements.md has.</param>
    public static IReadOnlyList<Citation> Unresolved(IEnumerable<Citation> citations, IReadOnlySet<string> anchors) =>
        [.. citations.Where(c => !c.Anchors.Any(anchors.Contains))];

    private static IEnumerable<string> ListItems(string list) =>
        ListSeparator().Split(list).Select(item => item.Trim()).Where(item => item.Length > 0);

    // A3 → A3; A3–A5 → A3, A4, A5; §3–4 → §3, §4. A unit's space after § is dropped.
    private static IEnumerable<string> ExpandConstitution(string unit)
    {
        var compact = unit.Replace(" ", string.Empty, StringComparison.Ordinal);
        var kind = char.ToUpperInvariant(compact[0]) == 'A' ? "A" : "§";
        var numbers = Regex.Matches(compact, @"\d+").Select(n => int.Parse(n.Value, CultureInfo.InvariantCulture)).ToList();
        var last = numbers.Count > 1 && numbers[1] >= numbers[0] ? numbers[1] : numbers[0];
        return Enumerable.Range(numbers[0], last - numbers[0] + 1).Select(n => kind + n.ToString(CultureInfo.InvariantCulture));
    }

    // 5.2 → 5.2; 3–4 → 3, 4; 2.1–2.3 → 2.1, 2.3 (only whole sections are counted through).
    private static IEnumerable<string> ExpandSeedSection(string section)
    {
        var ends = RangeSeparator().Split(section.Replace(" ", string.Empty, StringComparison.Ordinal));
        if (ends.Length == 2
            && int.TryParse(ends[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            && int.TryParse(ends[1], NumberStyles.None, CultureInfo.InvariantCulture, out var last)
            && last >= first)
        {
            return Enumerable.Range(first, last - first + 1).Select(n => n.ToString(CultureInfo.InvariantCulture));
        }

        return ends;
    }

    private static string ConstitutionAnchor(string unit) =>
        unit[0] == 'A' ? "constitution-a" + unit[1..] : "constitution-" + unit[1..];

    // seed 001 §5.2.b → seed-001-5-2-b, seed-001-5-2, seed-001-5.
    private static List<string> SeedAnchors(string seed, string section)
    {
        var parts = section.ToLowerInvariant().Split('.');
        return [.. Enumerable.Range(1, parts.Length).Reverse().Select(n => $"seed-{seed}-{string.Join('-', parts.Take(n))}")];
    }

    private static int LineOf(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    [GeneratedRegex(@"\bconstitution\s+(?<units>" + ConstitutionUnit + @"(?:(?:\s*,\s*|\s+and\s+)" + ConstitutionUnit + ")*)(?![0-9])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ConstitutionPattern();

    [GeneratedRegex(@"\bseed\s+(?<seed>00\d)(?![0-9])(?:\s+§\s?(?<sections>" + SeedSection + @"(?:(?:\s*,\s*|\s+and\s+)§\s?" + SeedSection + ")*))?", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SeedPattern();

    [GeneratedRegex(@"\s*,\s*|\s+and\s+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ListSeparator();

    [GeneratedRegex(@"\s?[–-]\s?")]
    private static partial Regex RangeSeparator();

    [GeneratedRegex(@"<a id=""(?<id>[^""]+)""></a>")]
    private static partial Regex AnchorPattern();
}
