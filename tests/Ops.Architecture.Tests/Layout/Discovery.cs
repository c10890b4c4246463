namespace Ops.Architecture.Tests.Layout;

/// <summary>Theory data: the assemblies found under src/ and packs/, by assembly name.</summary>
public static class Discovery
{
    public static TheoryData<string> KernelAssemblies => new(For(Discovered.KernelAssemblies));

    public static TheoryData<string> PackImplementations => new(For(Discovered.PackImplementations));

    public static TheoryData<string> PackContracts => new(For(Discovered.PackContracts));

    public static TheoryData<string> PackAssemblies => new(For(Discovered.PackAssemblies));

    internal static IEnumerable<string> For(Discovered kind) => kind switch
    {
        Discovered.KernelAssemblies => Repository.KernelAssemblies.Keys.Order(StringComparer.Ordinal),
        Discovered.PackImplementations => Repository.Packs.Select(p => p.AssemblyName),
        Discovered.PackContracts => Repository.ContractAssemblies.Keys,
        Discovered.PackAssemblies => Repository.Packs.Select(p => p.AssemblyName).Concat(Repository.ContractAssemblies.Keys).Order(StringComparer.Ordinal),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The built assembly of a pack implementation or contract module.</summary>
    internal static string AssemblyOf(string assemblyName) =>
        Repository.ContractAssemblies.TryGetValue(assemblyName, out var contracts) ? contracts : Repository.Pack(assemblyName).Assembly;
}
