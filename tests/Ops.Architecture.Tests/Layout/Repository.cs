using System.Reflection;

namespace Ops.Architecture.Tests.Layout;

/// <summary>
/// Where the projects under test and their build output are. Everything is found from the folder that
/// holds AlignTrue.sln, and packs by globbing <c>packs/*/*/*.csproj</c>, so adding or deleting a pack
/// needs no edit in these tests (constitution §10). Assembly names are taken to be project file names.
/// </summary>
internal static class Repository
{
    private const string SolutionFile = "AlignTrue.sln";

    public static string Root { get; } = FindRoot();

    /// <summary>The configuration this test assembly was built in; every project it judges was built in it too.</summary>
    public static string Configuration { get; } = Metadata("OpsBuildConfiguration");

    public static string TargetFramework { get; } = Metadata("OpsTargetFramework");

    public static string CoreAssembly => OutputOf(Path.Combine(Root, "src", "Ops.Core", "Ops.Core.csproj"));

    /// <summary>The pack SDK's assembly (src/Ops.Abstractions).</summary>
    public static string SdkAssembly => OutputOf(Path.Combine(Root, "src", "Ops.Abstractions", "Ops.Abstractions.csproj"));

    /// <summary>Ops.Shared's assembly, or null while the project does not exist.</summary>
    public static string? SharedAssembly =>
        File.Exists(Path.Combine(Root, "src", "Ops.Shared", "Ops.Shared.csproj"))
            ? OutputOf(Path.Combine(Root, "src", "Ops.Shared", "Ops.Shared.csproj"))
            : null;

    /// <summary>
    /// Ops.Core, Ops.Shared and Ops.Host, those whose project exists, and every storage provider (<c>src/Ops.Storage.*</c>,
    /// found, not listed, so a new engine is covered the day it is added), by assembly name.
    /// </summary>
    public static IReadOnlyDictionary<string, string> KernelAssemblies { get; } = new[] { "Ops.Core", "Ops.Shared", "Ops.Host" }
        .Select(name => Path.Combine(Root, "src", name, name + ".csproj"))
        .Concat(StorageProviderProjects)
        .Where(File.Exists)
        .ToDictionary(p => Path.GetFileNameWithoutExtension(p), OutputOf, StringComparer.Ordinal);

    /// <summary>Every <c>src/Ops.Storage.*/Ops.Storage.*.csproj</c>: the storage providers and what they share (issue 21 item 1).</summary>
    public static IReadOnlyList<string> StorageProviderProjects =>
        [.. Directory.EnumerateDirectories(Path.Combine(Root, "src"), "Ops.Storage.*")
            .Select(d => Path.Combine(d, Path.GetFileName(d) + ".csproj"))
            .Where(File.Exists)
            .Order(StringComparer.Ordinal)];

    /// <summary>Every pack implementation project (<c>packs/*/*/*.csproj</c> that is not a <c>*.Contracts</c> project).</summary>
    public static IReadOnlyList<PackProject> Packs { get; } = DiscoverPacks();

    /// <summary>Every pack contract module (<c>packs/*/*.Contracts/*.csproj</c>), by assembly name.</summary>
    public static IReadOnlyDictionary<string, string> ContractAssemblies { get; } = ProjectsUnder(Path.Combine(Root, "packs"))
        .Where(IsContractsProject)
        .ToDictionary(p => Path.GetFileNameWithoutExtension(p), OutputOf, StringComparer.Ordinal);

    public static PackProject Pack(string assemblyName) =>
        Packs.SingleOrDefault(p => p.AssemblyName == assemblyName)
            ?? throw new InvalidOperationException($"No pack project named {assemblyName} under {Path.Combine(Root, "packs")}.");

    /// <summary>A project under tests/Fixtures/ArchViolations/ that plants a violation, as a pack would be laid out.</summary>
    public static PackProject Fixture(string projectName) =>
        new(Path.Combine(Root, "tests", "Fixtures", "ArchViolations", projectName, projectName + ".csproj"));

    /// <summary><c>&lt;project folder&gt;/bin/&lt;configuration&gt;/&lt;framework&gt;/&lt;project name&gt;.dll</c>.</summary>
    public static string OutputOf(string projectFile) =>
        Path.Combine(Path.GetDirectoryName(projectFile)!, "bin", Configuration, TargetFramework, Path.GetFileNameWithoutExtension(projectFile) + ".dll");

    private static List<PackProject> DiscoverPacks() =>
        [.. ProjectsUnder(Path.Combine(Root, "packs"))
            .Where(p => !IsContractsProject(p))
            .Select(p => new PackProject(p))
            .OrderBy(p => p.AssemblyName, StringComparer.Ordinal)];

    /// <summary>The glob <c>&lt;folder&gt;/*/*/*.csproj</c>, as the host's Packs.targets and this project's csproj use it.</summary>
    private static IEnumerable<string> ProjectsUnder(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateDirectories(folder)
                .SelectMany(Directory.EnumerateDirectories)
                .SelectMany(d => Directory.EnumerateFiles(d, "*.csproj"))
                .Order(StringComparer.Ordinal)
            : [];

    private static bool IsContractsProject(string projectFile) =>
        Path.GetFileNameWithoutExtension(projectFile).EndsWith(".Contracts", StringComparison.Ordinal);

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, SolutionFile)))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No {SolutionFile} above {AppContext.BaseDirectory}: run the tests from the repository's build output.");
    }

    private static string Metadata(string key) =>
        typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == key)?.Value
            ?? throw new InvalidOperationException($"AssemblyMetadata '{key}' is missing: it is set in Ops.Architecture.Tests.csproj.");
}
