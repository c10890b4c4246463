using Mono.Cecil;

namespace Ops.Architecture.Tests.Rules;

/// <summary>
/// A NetArchTest custom rule that can also say why a type breaks it; the reasons go into
/// <see cref="Engine.TestResult.Reasons"/> (NetArchTest only names the failing types).
/// </summary>
internal interface IExplainedCustomRule : NetArchTest.Rules.ICustomRule
{
    /// <summary>Why <paramref name="type"/> breaks the rule; empty when it keeps it.</summary>
    IEnumerable<string> Explain(TypeDefinition type);
}
