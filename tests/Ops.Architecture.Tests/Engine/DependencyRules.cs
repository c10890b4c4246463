using Mono.Cecil;

namespace Ops.Architecture.Tests.Engine;

/// <summary>
/// The dependency rules NetArchTest.Rules 1.3.2 cannot hold with the same strength, on Mono.Cecil and
/// <see cref="TypeDependencies"/>. RuleEngineTests shows what NetArchTest's scan misses: a <c>typeof</c>
/// argument of an attribute and the type of a <c>catch</c> clause; and it never enumerates types declared in
/// System.* or Microsoft.* namespaces (Ops.Core declares its own in Microsoft.Extensions.DependencyInjection),
/// so a forbidden dependency there would pass it unseen.
/// </summary>
internal static class DependencyRules
{
    /// <summary>
    /// Types (authored, optionally those <paramref name="select"/> keeps) that depend on a type named by, or
    /// under, one of <paramref name="dependencies"/> (namespaces or full type names, see <see cref="CecilTypes.IsUnder"/>).
    /// </summary>
    public static TestResult NotHaveDependencyOnAny(string assemblyPath, IEnumerable<string> dependencies, Func<TypeDefinition, bool>? select = null)
    {
        var forbidden = dependencies.ToList();
        return Judge(assemblyPath, select, d => forbidden.Any(p => CecilTypes.IsUnder(d, p)), d => "depends on " + d);
    }

    /// <summary>Types any of whose dependencies lies outside every one of <paramref name="dependencies"/>.</summary>
    public static TestResult OnlyHaveDependenciesOn(string assemblyPath, IEnumerable<string> dependencies)
    {
        var allowed = dependencies.ToList();
        return Judge(assemblyPath, null, d => !allowed.Any(p => CecilTypes.IsUnder(d, p)), d => "depends on " + d + ", which is not allowed");
    }

    /// <summary>The reflection-style full names of the types an assembly's authors wrote, nested ones included.</summary>
    public static IEnumerable<string> AuthoredTypeNames(string assemblyPath) =>
        CecilTypes.AuthoredTypes(AssemblyCache.Load(assemblyPath).MainModule).Select(CecilTypes.NameOf);

    private static TestResult Judge(string assemblyPath, Func<TypeDefinition, bool>? select, Func<string, bool> breaks, Func<string, string> reason)
    {
        var reasons = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var type in CecilTypes.AuthoredTypes(AssemblyCache.Load(assemblyPath).MainModule).Where(t => select?.Invoke(t) ?? true))
        {
            var broken = TypeDependencies.Of(type).Where(breaks).Order(StringComparer.Ordinal).Select(reason).ToList();
            if (broken.Count > 0)
            {
                reasons[CecilTypes.NameOf(type)] = broken;
            }
        }

        return reasons.Count == 0 ? TestResult.Success() : TestResult.Failure(reasons);
    }
}
