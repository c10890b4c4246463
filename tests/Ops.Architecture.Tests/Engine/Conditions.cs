using Mono.Cecil;

namespace Ops.Architecture.Tests.Engine;

/// <summary>
/// What the chosen types must satisfy (NetArchTest's <c>Conditions</c>). A condition answers, for one type,
/// the reasons it fails; none means it holds.
/// </summary>
internal sealed class Conditions
{
    private readonly IReadOnlyList<TypeDefinition> _types;
    private readonly IReadOnlyList<Func<TypeDefinition, IEnumerable<string>>> _conditions;

    internal Conditions(IReadOnlyList<TypeDefinition> types, IReadOnlyList<Func<TypeDefinition, IEnumerable<string>>> conditions)
    {
        _types = types;
        _conditions = conditions;
    }

    /// <summary>
    /// No dependency on any type named by, or under, one of <paramref name="dependencies"/> (namespaces or
    /// full type names), matched the way <see cref="CecilTypes.IsUnder"/> says.
    /// </summary>
    public ConditionList NotHaveDependencyOnAny(params string[] dependencies) =>
        With(t => TypeDependencies.Of(t)
            .Where(d => dependencies.Any(p => CecilTypes.IsUnder(d, p)))
            .Order(StringComparer.Ordinal)
            .Select(d => "depends on " + d));

    /// <summary>Every dependency lies under one of <paramref name="dependencies"/>.</summary>
    public ConditionList OnlyHaveDependenciesOn(params string[] dependencies) =>
        With(t => TypeDependencies.Of(t)
            .Where(d => !dependencies.Any(p => CecilTypes.IsUnder(d, p)))
            .Order(StringComparer.Ordinal)
            .Select(d => "depends on " + d + ", which is not allowed"));

    public ConditionList BePublic() =>
        With(t => CecilTypes.IsVisibleOutsideAssembly(t) ? [] : ["is not public"]);

    public ConditionList NotBePublic() =>
        With(t => CecilTypes.IsVisibleOutsideAssembly(t) ? ["is public"] : []);

    /// <summary>The type, or a base type, implements <paramref name="interfaceType"/> (matched by full name).</summary>
    public ConditionList ImplementInterface(Type interfaceType)
    {
        var name = interfaceType.FullName ?? interfaceType.Name;
        return With(t => Implements(t, name) ? [] : ["does not implement " + name]);
    }

    /// <summary>The type, and the compiler-generated code nested in it, keep <paramref name="rule"/>.</summary>
    public ConditionList MeetCustomRule(ICustomRule rule) =>
        With(t => rule is IExplainedCustomRule explained
            ? CecilTypes.WithGeneratedCode(t).SelectMany(explained.Explain)
            : CecilTypes.WithGeneratedCode(t).All(rule.MeetsRule) ? [] : ["breaks " + rule.GetType().Name]);

    private static bool Implements(TypeDefinition type, string interfaceName)
    {
        for (var current = type; current is not null; current = TryResolve(current.BaseType))
        {
            if (current.Interfaces.Any(i => CecilTypes.NameOf(i.InterfaceType.GetElementType()) == interfaceName))
            {
                return true;
            }
        }

        return false;
    }

    private static TypeDefinition? TryResolve(TypeReference? type)
    {
        try
        {
            return type?.Resolve();
        }
        catch (AssemblyResolutionException)
        {
            return null;
        }
    }

    private ConditionList With(Func<TypeDefinition, IEnumerable<string>> condition) => new(_types, [.. _conditions, condition]);
}

/// <summary>A chain of conditions, all of which must hold (NetArchTest's <c>ConditionList</c>).</summary>
internal sealed class ConditionList
{
    private readonly IReadOnlyList<TypeDefinition> _types;
    private readonly IReadOnlyList<Func<TypeDefinition, IEnumerable<string>>> _conditions;

    internal ConditionList(IReadOnlyList<TypeDefinition> types, IReadOnlyList<Func<TypeDefinition, IEnumerable<string>>> conditions)
    {
        _types = types;
        _conditions = conditions;
    }

    public Conditions And() => new(_types, _conditions);

    public TestResult GetResult()
    {
        var reasons = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var type in _types)
        {
            var broken = _conditions.SelectMany(c => c(type)).ToList();
            if (broken.Count > 0)
            {
                reasons[CecilTypes.NameOf(type)] = broken;
            }
        }

        return reasons.Count == 0 ? TestResult.Success() : TestResult.Failure(reasons);
    }
}
