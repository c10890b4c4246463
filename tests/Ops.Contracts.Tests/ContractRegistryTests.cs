using System.Reflection;
using System.Text.Json;
using Ops.Core.Packs;
using Ops.Testing;

namespace Ops.Contracts.Tests;

/// <summary>
/// Each pack's contract modules against the registries committed beside them: a breaking change (a removed or
/// renamed field, a changed or narrowed type, a new required field) fails with the type and the field, unless the
/// module's major version went up; any other change fails until the registry is regenerated and committed:
/// <c>OPS_UPDATE_CONTRACT_REGISTRY=1 dotnet test tests/Ops.Contracts.Tests</c>.
/// </summary>
public sealed class ContractRegistryTests
{
    public static TheoryData<string> Packs => new(Discover().Select(p => p.PackId));

    [Theory]
    [MemberData(nameof(Packs))]
    public void ContractModules_MatchTheirCommittedRegistries(string packId)
    {
        var (_, entryType, folders) = Discover().Single(p => p.PackId == packId);

        ContractRegistry.Verify((IOpsPack)Activator.CreateInstance(entryType)!, packId, folders);
    }

    [Fact]
    public void EveryContractModuleUnderPacks_HasARegistry()
    {
        var modules = Discover().SelectMany(p => p.ContractFolders.Values).ToList();

        Assert.NotEmpty(modules);
        Assert.All(modules, folder => Assert.True(File.Exists(Path.Combine(folder, ContractRegistry.FileName)), $"{folder} has no {ContractRegistry.FileName}"));
    }

    private static List<(string PackId, Type EntryType, Dictionary<string, string> ContractFolders)> Discover()
    {
        var packsFolder = Path.Combine(RepoRoot(), "packs");
        var found = new List<(string, Type, Dictionary<string, string>)>();
        foreach (var packFolder in Directory.EnumerateDirectories(packsFolder).Order(StringComparer.Ordinal))
        {
            var contracts = Directory.EnumerateDirectories(packFolder)
                .Where(d => Path.GetFileName(d).EndsWith(".Contracts", StringComparison.Ordinal))
                .ToDictionary(d => Path.GetFileName(d), d => d, StringComparer.Ordinal);
            foreach (var manifest in Directory.EnumerateDirectories(packFolder).Select(d => Path.Combine(d, "pack.json")).Where(File.Exists))
            {
                using var json = JsonDocument.Parse(File.ReadAllText(manifest));
                var root = json.RootElement;
                var assembly = Assembly.Load(new AssemblyName(Path.GetFileNameWithoutExtension(root.GetProperty("entry_assembly").GetString()!)));
                found.Add((root.GetProperty("pack_id").GetString()!, assembly.GetType(root.GetProperty("entry_type").GetString()!, throwOnError: true)!, contracts));
            }
        }

        return found;
    }

    private static string RepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AlignTrue.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds AlignTrue.sln.");
    }
}
