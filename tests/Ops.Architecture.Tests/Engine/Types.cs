using Mono.Cecil;

namespace Ops.Architecture.Tests.Engine;

/// <summary>
/// Entry of a small fluent rule API shaped like NetArchTest.Rules
/// (<c>Types.InAssembly(a).That()...Should()...GetResult()</c>), written on Mono.Cecil because
/// NetArchTest.Rules cannot be restored from the package mirror (DESIGN.md §2). Every rule calls it
/// from <c>Rules/ArchitectureRules.cs</c>, so moving to NetArchTest means changing that file's
/// <c>using</c> (and <c>InAssembly(path)</c> to <c>Types.FromFile(path)</c>); RuleEngineTests, which
/// test this engine's dependency scan, would go with it. AssemblyCache and CecilTypes stay (Mono.Cecil
/// comes with NetArchTest).
/// </summary>
internal sealed class Types
{
    private readonly IReadOnlyList<TypeDefinition> _types;

    private Types(IReadOnlyList<TypeDefinition> types) => _types = types;

    /// <summary>The authored types of the assembly at <paramref name="assemblyPath"/>, read without loading it.</summary>
    public static Types InAssembly(string assemblyPath) =>
        new([.. CecilTypes.AuthoredTypes(AssemblyCache.Load(assemblyPath).MainModule)]);

    public Predicates That() => new(_types, []);

    public Conditions Should() => new(_types, []);

    public IReadOnlyList<TypeDefinition> GetTypes() => _types;
}

/// <summary>Filters that choose which types a rule is about (NetArchTest's <c>Predicates</c>).</summary>
internal sealed class Predicates
{
    private readonly IReadOnlyList<TypeDefinition> _types;
    private readonly IReadOnlyList<Func<TypeDefinition, bool>> _filters;

    internal Predicates(IReadOnlyList<TypeDefinition> types, IReadOnlyList<Func<TypeDefinition, bool>> filters)
    {
        _types = types;
        _filters = filters;
    }

    /// <summary>Types in <paramref name="name"/> or a namespace under it (NetArchTest matches by prefix too).</summary>
    public PredicateList ResideInNamespace(string name) => With(t => CecilTypes.IsUnder(CecilTypes.NamespaceOf(t), name));

    public PredicateList DoNotResideInNamespace(string name) => With(t => !CecilTypes.IsUnder(CecilTypes.NamespaceOf(t), name));

    /// <summary>Types whose simple name is <paramref name="name"/>.</summary>
    public PredicateList HaveName(string name) => With(t => t.Name == name);

    public PredicateList DoNotHaveName(string name) => With(t => t.Name != name);

    /// <summary>The type whose full name (reflection style) is <paramref name="fullName"/>; as in NetArchTest.eNhancedEdition.</summary>
    public PredicateList HaveFullName(string fullName) => With(t => CecilTypes.NameOf(t) == fullName);

    public PredicateList DoNotHaveFullName(string fullName) => With(t => CecilTypes.NameOf(t) != fullName);

    /// <summary>Types code in another assembly can name (see <see cref="CecilTypes.IsVisibleOutsideAssembly"/>).</summary>
    public PredicateList ArePublic() => With(CecilTypes.IsVisibleOutsideAssembly);

    public PredicateList AreNotPublic() => With(t => !CecilTypes.IsVisibleOutsideAssembly(t));

    private PredicateList With(Func<TypeDefinition, bool> filter) => new(_types, [.. _filters, filter]);
}

/// <summary>A chain of filters (NetArchTest's <c>PredicateList</c>).</summary>
internal sealed class PredicateList
{
    private readonly IReadOnlyList<TypeDefinition> _types;
    private readonly IReadOnlyList<Func<TypeDefinition, bool>> _filters;

    internal PredicateList(IReadOnlyList<TypeDefinition> types, IReadOnlyList<Func<TypeDefinition, bool>> filters)
    {
        _types = types;
        _filters = filters;
    }

    public Predicates And() => new(_types, _filters);

    public Conditions Should() => new(GetTypes(), []);

    public IReadOnlyList<TypeDefinition> GetTypes() => [.. _types.Where(t => _filters.All(f => f(t)))];
}
