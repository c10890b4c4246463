using System.Runtime.Loader;
using Ops.Core.Errors;
using Ops.Core.Packs;
using Ops.Host.Packs;
using Ops.Verification;

namespace Ops.Host.Tests;

public sealed class PackLoaderTests
{
    [Fact]
    public async Task Load_NameInAnotherPacksNamespace_RefusedWithClearError_OthersRun()
    {
        await using var host = await PackHost.StartAsync();
        Assert.True(await host.InstallAsync(host.CopyOfFixture("Ops.Packs.Rogue")));
        Assert.True(await host.InstallAsync(host.CopyOfFixture("Ops.Packs.GitHub")));

        await host.ReopenAsync();

        var refused = Assert.Single(host.Loader.Refused);
        Assert.Equal(("rogue", ReasonCodes.PackRefused), (refused.PackId, refused.Code));
        Assert.Contains("outside the namespace of pack 'rogue'", refused.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("pack.notes.notes.Stolen", host.Kernel.Registry.Events.Keys);
        Assert.Contains(host.Kernel.Registry.Packs, p => p.PackId == "github");
    }

    [Fact]

    [Trait("Pack", "notes")]
    public async Task Load_EachPackInItsOwnCollectibleContext_FromTheCheckedBytes_SharedTypesUnified()
    {
        await using var host = await PackHost.StartAsync();
        Assert.True(await host.InstallAsync(host.CopyOfFixture("Ops.Packs.Notes")));
        Assert.True(await host.InstallAsync(host.CopyOfFixture("Ops.Packs.GitHub")));

        await host.ReopenAsync();
        Assert.Empty(host.Loader.Refused);

        var contexts = host.Loader.Contexts;
        var notes = contexts.Last(c => c.Name == "pack:notes").Assemblies.Single(a => a.GetName().Name == "Ops.Packs.Notes");
        var github = contexts.Last(c => c.Name == "pack:github").Assemblies.Single(a => a.GetName().Name == "Ops.Packs.GitHub");
        var notesContext = AssemblyLoadContext.GetLoadContext(notes)!;

        Assert.NotSame(notesContext, AssemblyLoadContext.GetLoadContext(github));
        Assert.True(notesContext.IsCollectible);
        // Loaded from the snapshot's bytes, not from the file: there is no location to re-read.
        Assert.Equal(string.Empty, notes.Location);
        // Ops.Core and the contract module come from the shared (default) context, so types unify.
        var entry = notes.GetType("Ops.Packs.Notes.NotesPack")!;
        Assert.Same(typeof(IOpsPack), entry.GetInterfaces().Single(i => i.Name == nameof(IOpsPack)));
        var contracts = notes.GetReferencedAssemblies().Single(a => a.Name == "Ops.Packs.Notes.Contracts");
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(notesContext.LoadFromAssemblyName(contracts)));
        Assert.Equal(64, host.Kernel.Registry.Packs.Single(p => p.PackId == "notes").ContentHash.Length);
    }

    [Fact]

    [Trait("Pack", "notes")]
    public void ContentHash_SameFiles_SameHash_AnyChange_DifferentHash_SignatureFileExcluded()
    {
        var a = Copy("Ops.Packs.Notes");
        var b = Copy("Ops.Packs.Notes");

        Assert.Equal(PackLoader.ContentHash(a), PackLoader.ContentHash(b));
        File.WriteAllText(Path.Combine(b, PackSignature.FileName), "{}");
        Assert.Equal(PackLoader.ContentHash(a), PackLoader.ContentHash(b));
        File.AppendAllText(Path.Combine(b, "pack.json"), " ");
        Assert.NotEqual(PackLoader.ContentHash(a), PackLoader.ContentHash(b));
    }

    private static string Copy(string fixture)
    {
        var to = Directory.CreateTempSubdirectory("ops-hash-").FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(PackHost.FixturePacks, fixture), "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(Path.Combine(PackHost.FixturePacks, fixture), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }

        return to;
    }
}
