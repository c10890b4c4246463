using System.Runtime.Loader;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Hosting;
using Ops.Core.Packs;
using Ops.Host.Packs;

namespace Ops.Host.Tests;

public sealed class PackLoaderTests
{
    private static readonly string FixturePacks = Path.Combine(AppContext.BaseDirectory, "fixture-packs");

    private static (KernelRegistry Registry, PackLoader Loader) LoadFrom(params string[] folders)
    {
        var root = Directory.CreateTempSubdirectory("ops-packs-").FullName;
        foreach (var folder in folders)
        {
            CopyDirectory(Path.Combine(FixturePacks, folder), Path.Combine(root, folder));
        }

        var registry = KernelRegistryFactory.CreateWithCore(TimeProvider.System, NullLoggerFactory.Instance);
        var loader = new PackLoader(registry, new ConfigurationBuilder().Build(), TimeProvider.System, NullLoggerFactory.Instance);
        loader.LoadAll(root);
        return (registry, loader);
    }

    [Fact]
    public void Load_MissingContractDependency_RefusedAndOthersRun()
    {
        var (registry, loader) = LoadFrom("Ops.Packs.Dependent", "Ops.Packs.Notes");

        var refused = Assert.Single(loader.Refused);
        Assert.Equal("dependent", refused.PackId);
        Assert.Contains("Ops.Packs.Absent.Contracts", refused.Reason, StringComparison.Ordinal);
        Assert.Contains(registry.Packs, p => p.PackId == "notes");
        Assert.DoesNotContain(registry.Packs, p => p.PackId == "dependent");
        Assert.Contains("pack.notes.notes.CreateNote", registry.Commands.Keys);
    }

    [Fact]
    public void Load_NameInAnotherPacksNamespace_RefusedWithClearError()
    {
        var (registry, loader) = LoadFrom("Ops.Packs.Rogue", "Ops.Packs.GitHub");

        var refused = Assert.Single(loader.Refused);
        Assert.Equal("rogue", refused.PackId);
        Assert.Contains("outside the namespace of pack 'rogue'", refused.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("pack.notes.notes.Stolen", registry.Events.Keys);
        Assert.Contains(registry.Packs, p => p.PackId == "github");
    }

    [Fact]
    public void Load_EachPackInItsOwnCollectibleContext_SharedTypesUnified()
    {
        var (registry, loader) = LoadFrom("Ops.Packs.Notes", "Ops.Packs.GitHub");
        Assert.Empty(loader.Refused);

        var notes = AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == "Ops.Packs.Notes" && AssemblyLoadContext.GetLoadContext(a) is PackLoadContext);
        var github = AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == "Ops.Packs.GitHub" && AssemblyLoadContext.GetLoadContext(a) is PackLoadContext);
        var notesContext = AssemblyLoadContext.GetLoadContext(notes)!;

        Assert.NotSame(notesContext, AssemblyLoadContext.GetLoadContext(github));
        Assert.True(notesContext.IsCollectible);
        Assert.Equal("pack:notes", notesContext.Name);
        // Ops.Core and the contract module come from the shared (default) context, so types unify.
        var entry = notes.GetType("Ops.Packs.Notes.NotesPack")!;
        Assert.Same(typeof(IOpsPack), entry.GetInterfaces().Single(i => i.Name == nameof(IOpsPack)));
        var contracts = notes.GetReferencedAssemblies().Single(a => a.Name == "Ops.Packs.Notes.Contracts");
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(notesContext.LoadFromAssemblyName(contracts)));
        Assert.Equal(64, registry.Packs.Single(p => p.PackId == "notes").ContentHash.Length);
    }

    [Fact]
    public void ContentHash_SameFiles_SameHash_AnyChange_DifferentHash()
    {
        var a = Directory.CreateTempSubdirectory("ops-hash-").FullName;
        CopyDirectory(Path.Combine(FixturePacks, "Ops.Packs.Notes"), a);
        var b = Directory.CreateTempSubdirectory("ops-hash-").FullName;
        CopyDirectory(Path.Combine(FixturePacks, "Ops.Packs.Notes"), b);

        Assert.Equal(PackLoader.ContentHash(a), PackLoader.ContentHash(b));
        File.AppendAllText(Path.Combine(b, "pack.json"), " ");
        Assert.NotEqual(PackLoader.ContentHash(a), PackLoader.ContentHash(b));
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
