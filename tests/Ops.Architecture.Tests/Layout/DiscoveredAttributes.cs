namespace Ops.Architecture.Tests.Layout;

/// <summary>What a data-driven test runs over.</summary>
public enum Discovered
{
    /// <summary>Ops.Core, and Ops.Shared and Ops.Host where they exist.</summary>
    KernelAssemblies,

    /// <summary>Pack implementation assemblies.</summary>
    PackImplementations,

    /// <summary>Pack contract modules.</summary>
    PackContracts,

    /// <summary>Both.</summary>
    PackAssemblies,
}

/// <summary>
/// A theory over discovered assemblies that reports itself skipped, rather than failing for want of data,
/// when there are none (every pack deleted: constitution §10 still wants a green run).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class DiscoveredTheoryAttribute : TheoryAttribute
{
    public DiscoveredTheoryAttribute(Discovered kind)
    {
        Kind = kind;
        if (!Discovery.For(kind).Any())
        {
            Skip = $"No {kind} found.";
        }
    }

    public Discovered Kind { get; }
}

/// <summary>A fact about Ops.Shared, skipped while src/Ops.Shared/Ops.Shared.csproj does not exist.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute()
    {
        if (Repository.SharedAssembly is null)
        {
            Skip = "src/Ops.Shared does not exist yet.";
        }
    }
}
