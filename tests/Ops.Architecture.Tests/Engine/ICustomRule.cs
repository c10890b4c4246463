using Mono.Cecil;

namespace Ops.Architecture.Tests.Engine;

/// <summary>
/// A rule the fluent API cannot say, checked on one type. Same shape as NetArchTest's
/// <c>NetArchTest.Rules.ICustomRule</c>, which also hands over a Mono.Cecil <see cref="TypeDefinition"/>.
/// </summary>
internal interface ICustomRule
{
    /// <summary>
    /// True when <paramref name="type"/> keeps the rule. The engine also asks about the compiler-generated
    /// types nested in it (lambdas, async state machines), whose code the author wrote in <paramref name="type"/>.
    /// </summary>
    bool MeetsRule(TypeDefinition type);
}

/// <summary>A custom rule that can also say why a type breaks it; the reasons go into <see cref="TestResult.Reasons"/>.</summary>
internal interface IExplainedCustomRule : ICustomRule
{
    /// <summary>Why <paramref name="type"/> breaks the rule; empty when it keeps it.</summary>
    IEnumerable<string> Explain(TypeDefinition type);
}
