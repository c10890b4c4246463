using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Hosting;
using Ops.Core.Packs;

namespace Ops.Tenancy.Tests;

/// <summary>A pack of this repository, as its manifest names it.</summary>
/// <param name="PackId">pack_id from pack.json.</param>
/// <param name="EntryType">The entry type, loaded from this test's output folder.</param>
internal sealed record InRepoPack(string PackId, Type EntryType)
{
    public IOpsPack Create() => (IOpsPack)Activator.CreateInstance(EntryType)!;
}

/// <summary>
/// Every pack of the repository: each <c>packs/*/*/pack.json</c>, its entry type taken from the assembly
/// this project references through the same glob as the host. A new pack folder is in every generated
/// test without an edit here.
/// </summary>
internal static class InRepoPacks
{
    public static IReadOnlyList<InRepoPack> All { get; } = Discover();

    /// <summary>Core plus every in-repo pack, registered with no configuration, as the tests' source of truth for "every registered query".</summary>
    public static KernelRegistry Registry() => BuildRegistry();

    public static string RepoRoot()
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

    private static KernelRegistry BuildRegistry()
    {
        var registry = KernelRegistryFactory.CreateWithCore(TimeProvider.System, NullLoggerFactory.Instance);
        var configuration = new ConfigurationBuilder().Build();
        foreach (var pack in All)
        {
            KernelRegistryFactory.AddPack(registry, pack.Create(), new LoadedPack(pack.PackId, "1.0.0", string.Empty, string.Empty, [], []), configuration, TimeProvider.System, NullLoggerFactory.Instance);
        }

        return registry;
    }

    private static List<InRepoPack> Discover()
    {
        var packs = new List<InRepoPack>();
        var manifests = Directory.EnumerateDirectories(Path.Combine(RepoRoot(), "packs"))
            .SelectMany(Directory.EnumerateDirectories)
            .Select(d => Path.Combine(d, "pack.json"))
            .Where(File.Exists)
            .Order(StringComparer.Ordinal);
        foreach (var manifest in manifests)
        {
            using var json = JsonDocument.Parse(File.ReadAllText(manifest));
            var root = json.RootElement;
            var packId = root.GetProperty("pack_id").GetString()!;
            var assemblyName = Path.GetFileNameWithoutExtension(root.GetProperty("entry_assembly").GetString()!);
            var entryType = Assembly.Load(new AssemblyName(assemblyName)).GetType(root.GetProperty("entry_type").GetString()!, throwOnError: true)!;

            // The harness names an in-process pack after its entry type (NotesPack: notes); it must agree with the manifest.
            var harnessId = entryType.Name.Replace("Pack", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
            if (harnessId != packId)
            {
                throw new InvalidOperationException($"{manifest}: pack_id '{packId}' but KernelHarness would load {entryType.Name} as '{harnessId}'; name the entry type after the pack id.");
            }

            packs.Add(new InRepoPack(packId, entryType));
        }

        return packs;
    }
}
