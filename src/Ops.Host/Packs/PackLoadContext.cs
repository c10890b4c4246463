using System.Reflection;
using System.Runtime.Loader;
using Ops.Verification;

namespace Ops.Host.Packs;

/// <summary>
/// One pack's collectible load context. Shared assemblies (Ops.Core, Ops.Shared, Microsoft.Extensions.*,
/// the framework and every exported Contracts assembly) resolve from the default context so their types
/// unify with the host's; everything else resolves from the pack's folder, loaded from the bytes of the
/// <see cref="PackSnapshot"/> that was hashed and checked, never from the file again. Native libraries are
/// never loaded from a pack folder (packs may not P/Invoke). Isolation is about dependencies and unloading,
/// not security (DESIGN.md §4).
/// </summary>
internal sealed class PackLoadContext(string packId, string entryAssemblyPath, PackSnapshot snapshot, Func<AssemblyName, bool> isShared)
    : AssemblyLoadContext($"pack:{packId}", isCollectible: true)
{
    private readonly AssemblyDependencyResolver _resolver = new(entryAssemblyPath);

    /// <summary>Loads an assembly of the folder from the snapshot; null when the snapshot does not hold it.</summary>
    public Assembly? LoadFromSnapshot(string path)
    {
        var bytes = snapshot.BytesOf(path);
        if (bytes is null)
        {
            return null;
        }

        var symbols = snapshot.BytesOf(Path.ChangeExtension(path, ".pdb"));
        return LoadFromStream(new MemoryStream(bytes), symbols is null ? null : new MemoryStream(symbols));
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (isShared(assemblyName))
        {
            return null;
        }

        var path = _resolver.ResolveAssemblyToPath(assemblyName);
        return path is null ? null : LoadFromSnapshot(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) => IntPtr.Zero;
}
