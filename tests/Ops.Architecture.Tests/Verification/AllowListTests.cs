using Mono.Cecil;
using Ops.Architecture.Tests.Layout;
using Ops.Verification;
using Xunit.Abstractions;

namespace Ops.Architecture.Tests.Verification;

/// <summary>
/// The allow-list itself (src/Ops.Verification/allow-list.txt): every line has a reason, and a line without one does not
/// load; every line is used by a shipped pack, Ops.Shared, a fixture, the template or the benign corpus; and all of those pass.
/// </summary>
public sealed class AllowListTests(ITestOutputHelper output)
{
    private static readonly Lazy<string> Text = new(() =>
    {
        using var stream = typeof(AllowList).Assembly.GetManifestResourceStream(AllowList.ResourceName)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    [Fact]
    public void EveryEntry_HasAReason_AndRemovingAnyReasonFailsToLoad_NamingTheLine()
    {
        var entries = AllowList.Default.Entries;
        var lines = Text.Value.Split('\n');

        foreach (var entry in entries)
        {
            Assert.False(string.IsNullOrWhiteSpace(entry.Reason), entry.Where);
            var withoutReason = lines.ToArray();
            withoutReason[entry.Line - 1] = lines[entry.Line - 1][..lines[entry.Line - 1].IndexOf(';', StringComparison.Ordinal)] + ";  ";
            var ex = Assert.Throws<FormatException>(() => AllowList.Parse(string.Join('\n', withoutReason)));
            Assert.Contains($"allow-list.txt:{entry.Line}:", ex.Message, StringComparison.Ordinal);
        }

        output.WriteLine($"{entries.Count} allow-list entries, each refused to load without its reason");
    }

    [Theory]
    [InlineData("[framework]\ntype System.String", "no reason")]
    [InlineData("type System.String ; text", "before the first")]
    [InlineData("[framework]\nclass System.String ; text", "unknown kind")]
    [InlineData("[framework]\nmember System.String ; text", "not a member name")]
    [InlineData("[framework]\ntype System.String ; text\ntype System.String ; again", "listed twice")]
    [InlineData("[tools]\ntype System.String ; text", "unknown section")]
    public void Parse_RefusesWhatAReviewerCouldMisread(string text, string problem)
    {
        var ex = Assert.Throws<FormatException>(() => AllowList.Parse(text));

        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryEntry_IsUsed_ByAShippedPackOpsSharedAFixtureTheTemplateOrTheBenignCorpus()
    {
        var used = new HashSet<AllowListEntry>();
        foreach (var (name, verification) in MeantToPass(used))
        {
            Assert.True(verification.IsAccepted, $"{name}:{Environment.NewLine}{string.Join(Environment.NewLine, verification.Findings)}");
        }

        var unused = AllowList.Default.Entries.Where(e => e.Kind != AllowListKind.Deny && !used.Contains(e)).Select(e => $"{e.Where} {e.Name}").ToList();
        output.WriteLine($"{used.Count} of {AllowList.Default.Entries.Count(e => e.Kind != AllowListKind.Deny)} allow entries used; deny lines are shown refused by GeneratedAllowListTests");
        Assert.True(unused.Count == 0, string.Join(Environment.NewLine, unused));
    }

    [Fact]
    public void OpsShared_PassesTheAllowList_AsAPack()
    {
        var shared = Repository.SharedAssembly;
        Assert.NotNull(shared);
        using var module = ModuleDefinition.ReadModule(shared, PackRules.ReaderParameters);

        var findings = PackRules.Check(module, new PackAssemblyContext("shared", new HashSet<string>(), new HashSet<string>(), new HashSet<string> { "Ops.Shared" }), "Ops.Shared.dll");

        Assert.Empty(findings);
    }

    /// <summary>Everything meant to pass, verified as <c>packs install</c> would, recording the entries each uses.</summary>
    private static IEnumerable<(string Name, PackVerification Verification)> MeantToPass(HashSet<AllowListEntry> used)
    {
        var verifier = new PackVerifier(PackSigningOptions.None) { UsedEntries = used };
        foreach (var pack in Repository.Packs)
        {
            yield return (pack.AssemblyName, verifier.Verify(Path.GetDirectoryName(pack.Assembly)!));
        }

        var echo = Path.Combine(Repository.Root, "tests", "Fixtures", "TestKit", "Ops.TestKit.Echo", "Ops.TestKit.Echo.csproj");
        yield return ("Ops.TestKit.Echo", verifier.Verify(Path.GetDirectoryName(Repository.OutputOf(echo))!));

        if (Repository.SharedAssembly is { } shared)
        {
            using var module = ModuleDefinition.ReadModule(shared, PackRules.ReaderParameters);
            var findings = PackRules.Check(module, new PackAssemblyContext("shared", new HashSet<string>(), new HashSet<string>(), new HashSet<string> { "Ops.Shared" }), "Ops.Shared.dll", used: used);
            yield return ("Ops.Shared", new PackVerification(shared, null, null, null, findings, ["Ops.Shared"]));
        }

        var template = Path.Combine(Repository.Root, "templates", "content", "opspack", "src");
        var contracts = PackFixtures.Compile("OpsPack1.Contracts", Directory.GetFiles(Path.Combine(template, "OpsPack1.Contracts"), "*.cs", SearchOption.AllDirectories).Where(IsSource).Select(File.ReadAllText));
        var templatePack = PackFixtures.Compile("OpsPack1", Directory.GetFiles(Path.Combine(template, "OpsPack1"), "*.cs", SearchOption.AllDirectories).Where(IsSource).Select(File.ReadAllText), contracts);
        yield return ("the template (templates/content/opspack)", PackFixtures.Verify("OpsPack1.dll", new Dictionary<string, byte[]> { ["OpsPack1.dll"] = templatePack, ["OpsPack1.Contracts.dll"] = contracts }, exports: ["OpsPack1.Contracts"], used: used));

        var benign = PackFixtures.Compile("Ops.Packs.Benign", [BenignCorpus.Source]);
        yield return ("the benign corpus", PackFixtures.Verify("Ops.Packs.Benign.dll", new Dictionary<string, byte[]> { ["Ops.Packs.Benign.dll"] = benign }, used: used));
    }

    private static bool IsSource(string path) =>
        !path.Split(Path.DirectorySeparatorChar).Any(part => part is "obj" or "bin");
}
