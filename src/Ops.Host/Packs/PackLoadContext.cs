using System.Reflection;
using System.Runtime.Loader;

namespace Ops.Host.Packs;

/// <summary>
/// One pack's collectible load context. Shared assemblies (Ops.Core, Ops.Shared, Microsoft.Extensions.*,
/// the framework and every Contracts assembly) resolve from the default context so their types unify
/// with the host's; everything else resolves from the pack's own folder. Isolation is about
/// dependencies and unloading, not security (DESIGN.md §4).
/// </summary>
internal sealed class PackLoadContext(string packId, string entryAssemblyPath, Func<AssemblyName, bool> isShared)
    : AssemblyLoadContext($"pack:{packId}", isCollectible: true)
{
    private readonly AssemblyDependencyResolver _resolver = new(entryAssemblyPath);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (isShared(assemblyName))
        {
            return null;
        }

        var path = _resolver.ResolveAssemblyToPath(assemblyName);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }
}
