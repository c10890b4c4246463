using System.Reflection;
using System.Runtime.Loader;
using Ops.Verification;

namespace Ops.Host.Packs;

/// <summary>
/// One pack's collectible load context. Shared assemblies (Ops.Core, Ops.Shared, Microsoft.Extensions.*, the framework,
/// and the contract modules the pack exports or depends on, each from its bound exporter's recorded file) resolve from
/// the default context so their types unify with the host's and across packs; every other assembly of the pack resolves by its name to the one file of the folder that declares it, as
/// the install record lists and the install checks read it (issue 16 item 3), and is loaded from the bytes of the
/// <see cref="PackSnapshot"/> that was compared and checked, never from the file again and never by probing the folder.
/// Native libraries are never loaded from a pack folder (packs may not P/Invoke). Isolation is about dependencies and
/// unloading, not security (DESIGN.md §4).
/// </summary>
/// <param name="packId">The installed pack id; the context is named <c>pack:&lt;id&gt;</c>.</param>
/// <param name="snapshot">The folder's bytes, already compared with the install record and checked.</param>
/// <param name="assemblies">The checked managed files of the folder by assembly name (relative paths).</param>
/// <param name="contract">The shared copy of a contract module the pack exports or depends on, by name; null for any other name.</param>
internal sealed class PackLoadContext(string packId, PackSnapshot snapshot, IReadOnlyDictionary<string, string> assemblies, Func<string, Assembly?> contract)
    : AssemblyLoadContext($"pack:{packId}", isCollectible: true)
{
    /// <summary>Loads a file of the folder by its relative path from the snapshot; null when the snapshot does not hold it.</summary>
    public Assembly? LoadRecorded(string relativePath)
    {
        if (!snapshot.Files.TryGetValue(relativePath, out var bytes))
        {
            return null;
        }

        snapshot.Files.TryGetValue(Path.ChangeExtension(relativePath, ".pdb"), out var symbols);
        return LoadFromStream(new MemoryStream(bytes), symbols is null ? null : new MemoryStream(symbols));
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is not { } name || PackLoader.IsHostShared(name))
        {
            return null;
        }

        if (contract(name) is { } shared)
        {
            return shared;
        }

        // By name to one checked file; satellite (culture) assemblies are not looked for.
        return string.IsNullOrEmpty(assemblyName.CultureName) && assemblies.TryGetValue(name, out var path) ? LoadRecorded(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) => IntPtr.Zero;
}
