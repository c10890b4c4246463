namespace Ops.Architecture.Tests.Engine;

/// <summary>
/// The outcome of a type-level rule, whichever engine judged it: NetArchTest's <c>IsSuccessful</c> and
/// <c>FailingTypeNames</c> (reflection style, <c>Outer+Inner</c>), and <see cref="Reasons"/>, read with Cecil,
/// because NetArchTest does not say why a type failed.
/// </summary>
internal sealed class TestResult
{
    private TestResult(IReadOnlyList<string> failingTypeNames, IReadOnlyDictionary<string, IReadOnlyList<string>> reasons)
    {
        FailingTypeNames = failingTypeNames;
        Reasons = reasons;
    }

    public bool IsSuccessful => FailingTypeNames.Count == 0;

    /// <summary>Full names (reflection style, <c>Outer+Inner</c>) of the selected types that broke the rule.</summary>
    public IReadOnlyList<string> FailingTypeNames { get; }

    /// <summary>Per failing type, what it broke: the forbidden dependencies it has, or the condition it missed.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Reasons { get; }

    public static TestResult Success() => new([], new Dictionary<string, IReadOnlyList<string>>());

    public static TestResult Failure(IReadOnlyDictionary<string, IReadOnlyList<string>> reasons) =>
        new([.. reasons.Keys.Order(StringComparer.Ordinal)], reasons);
}
