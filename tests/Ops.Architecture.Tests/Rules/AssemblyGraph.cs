using Ops.Architecture.Tests.Engine;

namespace Ops.Architecture.Tests.Rules;

/// <summary>The assembly-level graph: what an assembly's metadata says it references (Assembly.GetReferencedAssemblies, without loading it).</summary>
internal static class AssemblyGraph
{
    public static IReadOnlyList<string> ReferencesOf(string assemblyPath) =>
        [.. AssemblyCache.Load(assemblyPath).MainModule.AssemblyReferences.Select(r => r.Name).Order(StringComparer.Ordinal)];
}
