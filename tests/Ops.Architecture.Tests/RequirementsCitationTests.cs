using Ops.Architecture.Tests.Docs;
using Ops.Architecture.Tests.Layout;
using Xunit.Abstractions;

namespace Ops.Architecture.Tests;

/// <summary>
/// Issue 15 item 4, generated: every citation of the constitution or a seed in src/, packs/ and docs/ (<c>*.cs</c>,
/// <c>*.md</c>) leads to a section of docs/requirements.md, so "constitution A4" in a comment is something a
/// contributor can read. The forms and how they resolve are in that file's "How to cite" and in
/// <see cref="RequirementCitations"/>. The run prints the counts.
/// </summary>
public sealed class RequirementsCitationTests(ITestOutputHelper output)
{
    [Fact]
    public void EveryCitationInTheRepository_HasAnAnchorInRequirementsMd()
    {
        var anchors = RequirementCitations.Anchors(File.ReadAllText(Path.Combine(Repository.Root, RequirementCitations.RequirementsFile)));
        var citations = RequirementCitations.FindInRepository(Repository.Root);
        var unresolved = RequirementCitations.Unresolved(citations, anchors.ToHashSet(StringComparer.Ordinal));

        var distinct = citations.Select(c => c.Text).Distinct(StringComparer.Ordinal).Count();
        var resolvedTo = citations.Select(c => c.Anchors.FirstOrDefault(anchors.Contains)).OfType<string>().Distinct(StringComparer.Ordinal).Count();
        var line = $"requirements citations: {citations.Count} citations ({distinct} distinct) in {citations.Select(c => c.File).Distinct(StringComparer.Ordinal).Count()} files under {string.Join(", ", RequirementCitations.SearchedFolders)}, resolved to {resolvedTo} distinct anchors of the {anchors.Count} in {RequirementCitations.RequirementsFile}";
        output.WriteLine(line);
        Console.WriteLine(line);

        Assert.True(unresolved.Count == 0, $"{unresolved.Count} citation(s) without an anchor in {RequirementCitations.RequirementsFile} (add the section there, or correct the citation):{Environment.NewLine}{string.Join(Environment.NewLine, unresolved)}");
        // A repository that stopped citing would pass vacuously: the kernel cites the constitution and seeds everywhere.
        Assert.True(citations.Count > 100, $"only {citations.Count} citations found under {Repository.Root}: is the search looking in the right folders?");
        Assert.Equal(anchors.Count, anchors.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Checker_ReportsEveryCitationWithoutAnAnchor_OnPlantedText()
    {
        const string planted = """
            /// <summary>Fine: constitution A4, Constitution §7 and seed 001 §5.2 (its parent §5 has an anchor).</summary>
            // Fine as lists and ranges: constitution A3, A9; constitution A5, §2; seed 000 §3–4; seed 000 §2.1, §2.2.
            // Planted: constitution A99 (no such article).
            // Planted: constitution A4, §13 and seed 001 §9, which the seeds do not have; seed 007 does not exist.
            """;
        var anchors = RequirementCitations.Anchors(File.ReadAllText(Path.Combine(Repository.Root, RequirementCitations.RequirementsFile)))
            .ToHashSet(StringComparer.Ordinal);

        var citations = RequirementCitations.Find(planted, "Planted.cs");
        var unresolved = RequirementCitations.Unresolved(citations, anchors);

        Assert.Equal(
            ["constitution A4", "constitution §7", "seed 001 §5.2", "constitution A3", "constitution A9", "constitution A5", "constitution §2",
             "seed 000 §3", "seed 000 §4", "seed 000 §2.1", "seed 000 §2.2", "constitution A99", "constitution A4", "constitution §13", "seed 001 §9", "seed 007"],
            citations.Select(c => c.Text));
        Assert.Equal(["seed-001-5-2", "seed-001-5"], citations[2].Anchors);
        Assert.Equal(
            [
                "Planted.cs:3: constitution A99 (no anchor constitution-a99 in docs/requirements.md)",
                "Planted.cs:4: constitution §13 (no anchor constitution-13 in docs/requirements.md)",
                "Planted.cs:4: seed 001 §9 (no anchor seed-001-9 in docs/requirements.md)",
                "Planted.cs:4: seed 007 (no anchor seed-007 in docs/requirements.md)",
            ],
            unresolved.Select(c => c.ToString()));
    }
}
