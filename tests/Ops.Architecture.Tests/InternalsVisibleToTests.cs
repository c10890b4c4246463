using Mono.Cecil;
using Ops.Architecture.Tests.Engine;
using Ops.Architecture.Tests.Layout;

namespace Ops.Architecture.Tests;

/// <summary>
/// Issue 8 item 1: a shipped assembly (Ops.Core, Ops.Shared, Ops.Verification, Ops.Testing, every contract module and
/// pack) grants InternalsVisibleTo only to test and benchmark assemblies, never to another production assembly: what a
/// production assembly needs of another is public API (docs/adr/0006-public-surface.md). The grants that existed when
/// the rule was written are listed in <see cref="Remaining"/>, each with why; the rule fails on any other grant, and on
/// a listed grant that no longer exists, so the list only shrinks.
/// </summary>
public sealed class InternalsVisibleToTests
{
    /// <summary>
    /// Grants still to remove. Ops.Host and Ops.Verification have none: they compile on public API (OpsRuntime,
    /// OpsAdministration, ConsentSigning, PackIds; Ops.Verification's PackVerifier). Ops.Testing, the test kit, still
    /// reads both assemblies' internals and is built with exact-version dependencies on them (Directory.Build.targets,
    /// OpsExactDependencies).
    /// </summary>
    private static readonly (string Grantor, string Grantee)[] Remaining =
    [
        ("Ops.Core", "Ops.Testing"),
        ("Ops.Verification", "Ops.Testing"),
    ];

    /// <summary>Every shipped (production) assembly, by name: the kernel libraries, the test kit, contracts and packs.</summary>
    public static IReadOnlyDictionary<string, string> ProductionAssemblies { get; } = DiscoverProduction();

    public static TheoryData<string> Production()
    {
        var data = new TheoryData<string>();
        foreach (var name in ProductionAssemblies.Keys.Order(StringComparer.Ordinal))
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Production))]
    public void ProductionAssembly_GrantsInternalsOnlyToTestsAndBenchmarks(string assemblyName)
    {
        var violations = Violations(ProductionAssemblies[assemblyName]).Where(v => !Remaining.Contains((assemblyName, v))).ToList();

        Assert.True(violations.Count == 0, $"{assemblyName} grants InternalsVisibleTo to production assemblies {string.Join(", ", violations)}: give them public API instead (docs/adr/0006-public-surface.md).");
    }

    [Fact]
    public void RemainingGrants_AllStillExist_SoTheListOnlyShrinks()
    {
        foreach (var (grantor, grantee) in Remaining)
        {
            Assert.True(Grantees(ProductionAssemblies[grantor]).Contains(grantee), $"{grantor} no longer grants internals to {grantee}: remove the pair from {nameof(Remaining)}.");
        }
    }

    [Fact]
    public void Rule_FailsOnAPlantedGrant_ToAPackToTheHostAndToTheTestKit()
    {
        var planted = WritePlantedAssembly("Ops.Packs.Friendly", ["Ops.Packs.Notes", "Ops.Host, PublicKey=0024000004800000", "Ops.Testing", "Ops.Packs.Friendly.Tests", "Ops.Load"]);

        Assert.Equal(["Ops.Host", "Ops.Packs.Notes", "Ops.Testing"], Violations(planted).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Discovery_FindsEveryKindOfShippedAssembly()
    {
        Assert.Contains("Ops.Core", ProductionAssemblies.Keys);
        Assert.Contains("Ops.Shared", ProductionAssemblies.Keys);
        Assert.Contains("Ops.Verification", ProductionAssemblies.Keys);
        Assert.Contains("Ops.Testing", ProductionAssemblies.Keys);
        Assert.Contains("Ops.Abstractions", ProductionAssemblies.Keys);
        Assert.Contains("Ops.Storage.Sqlite", ProductionAssemblies.Keys);
        Assert.Contains("Ops.Storage.Relational", ProductionAssemblies.Keys);
        Assert.Contains("Ops.Packs.GitHub", ProductionAssemblies.Keys);
        Assert.Contains("Ops.Packs.GitHub.Contracts", ProductionAssemblies.Keys);
    }

    /// <summary>Grantees that are production assemblies: anything but <c>*.Tests</c> and the benchmark projects under bench/.</summary>
    private static IEnumerable<string> Violations(string assemblyPath) => Grantees(assemblyPath).Where(IsProductionName);

    private static bool IsProductionName(string name) =>
        !name.EndsWith(".Tests", StringComparison.Ordinal) && !BenchmarkNames.Contains(name);

    private static readonly HashSet<string> BenchmarkNames =
        [.. Directory.EnumerateFiles(Path.Combine(Repository.Root, "bench"), "*.csproj", SearchOption.AllDirectories).Select(Path.GetFileNameWithoutExtension).OfType<string>()];

    /// <summary>The assembly names in its InternalsVisibleTo attributes (without a public key).</summary>
    private static HashSet<string> Grantees(string assemblyPath) =>
        [.. AssemblyCache.Load(assemblyPath).CustomAttributes
            .Where(a => a.AttributeType.FullName == "System.Runtime.CompilerServices.InternalsVisibleToAttribute")
            .Select(a => ((string)a.ConstructorArguments[0].Value).Split(',')[0].Trim())];

    private static Dictionary<string, string> DiscoverProduction()
    {
        var all = new Dictionary<string, string>(StringComparer.Ordinal);
        // Every library under src/ (the worker, Ops.Host, is not shipped as one).
        foreach (var project in Directory.EnumerateFiles(Path.Combine(Repository.Root, "src"), "*.csproj", SearchOption.AllDirectories))
        {
            var name = Path.GetFileNameWithoutExtension(project);
            if (name != "Ops.Host")
            {
                all[name] = Repository.OutputOf(project);
            }
        }

        all["Ops.Testing"] = Repository.OutputOf(Path.Combine(Repository.Root, "tests", "Ops.Testing", "Ops.Testing.csproj"));
        foreach (var (name, path) in Repository.ContractAssemblies)
        {
            all[name] = path;
        }

        foreach (var pack in Repository.Packs)
        {
            all[pack.AssemblyName] = pack.Assembly;
        }

        return all;
    }

    /// <summary>A tiny assembly with the given InternalsVisibleTo attributes, written with Mono.Cecil (C# cannot plant it without a project).</summary>
    private static string WritePlantedAssembly(string name, string[] grantees)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "planted", name + ".dll");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var assembly = AssemblyDefinition.CreateAssembly(new AssemblyNameDefinition(name, new Version(1, 0, 0, 0)), name, ModuleKind.Dll);
        var module = assembly.MainModule;
        var ctor = module.ImportReference(typeof(System.Runtime.CompilerServices.InternalsVisibleToAttribute).GetConstructor([typeof(string)]));
        foreach (var grantee in grantees)
        {
            var attribute = new CustomAttribute(ctor);
            attribute.ConstructorArguments.Add(new CustomAttributeArgument(module.TypeSystem.String, grantee));
            assembly.CustomAttributes.Add(attribute);
        }

        assembly.Write(path);
        return path;
    }
}
