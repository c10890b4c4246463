using Mono.Cecil;
using Ops.Architecture.Tests.Engine;

namespace Ops.Architecture.Tests.Rules;

/// <summary>The host creates a pack's entry type with a public parameterless constructor (IOpsPack's contract).</summary>
internal sealed class HasPublicParameterlessConstructor : IExplainedCustomRule
{
    public bool MeetsRule(TypeDefinition type) => !Explain(type).Any();

    public IEnumerable<string> Explain(TypeDefinition type)
    {
        // Only the entry type itself: its nested generated types have constructors of their own.
        if (CecilTypes.IsCompilerGenerated(type))
        {
            return [];
        }

        var creatable = !type.IsAbstract && type.Methods.Any(m => m.IsConstructor && !m.IsStatic && m.IsPublic && m.Parameters.Count == 0);
        return creatable ? [] : ["has no public parameterless constructor (or is abstract)"];
    }
}
