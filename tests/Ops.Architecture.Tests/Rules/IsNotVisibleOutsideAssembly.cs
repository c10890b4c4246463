using Mono.Cecil;
using Ops.Architecture.Tests.Engine;

namespace Ops.Architecture.Tests.Rules;

/// <summary>
/// STYLE.md 11: an implementation type cannot be named from another assembly. Asked as reachability
/// (<see cref="CecilTypes.IsVisibleOutsideAssembly"/>: a protected type nested in a public one counts) rather than
/// with NetArchTest's <c>NotBePublic</c>, which reads a type's own visibility flag.
/// </summary>
internal sealed class IsNotVisibleOutsideAssembly : IExplainedCustomRule
{
    public bool MeetsRule(TypeDefinition type) => !CecilTypes.IsVisibleOutsideAssembly(type);

    public IEnumerable<string> Explain(TypeDefinition type) => MeetsRule(type) ? [] : ["is public"];
}

/// <summary>The entry type is visible outside its assembly: the host creates it by name.</summary>
internal sealed class IsVisibleOutsideAssembly : IExplainedCustomRule
{
    public bool MeetsRule(TypeDefinition type) => CecilTypes.IsVisibleOutsideAssembly(type);

    public IEnumerable<string> Explain(TypeDefinition type) => MeetsRule(type) ? [] : ["is not public"];
}
