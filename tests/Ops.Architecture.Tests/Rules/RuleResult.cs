using System.Text;
using Ops.Architecture.Tests.Engine;

namespace Ops.Architecture.Tests.Rules;

/// <summary>The outcome of one architecture rule: forbidden assembly references, and types that broke it.</summary>
internal sealed class RuleResult(IReadOnlyList<string> forbiddenReferences, TestResult types)
{
    public IReadOnlyList<string> ForbiddenReferences { get; } = forbiddenReferences;

    public IReadOnlyList<string> FailingTypeNames => types.FailingTypeNames;

    public bool IsSuccessful => ForbiddenReferences.Count == 0 && types.IsSuccessful;

    /// <summary>A message for a failed assertion: what <paramref name="subject"/> references or uses that it may not.</summary>
    public string Explain(string subject)
    {
        if (IsSuccessful)
        {
            return subject + " keeps the rule.";
        }

        var text = new StringBuilder(subject).Append(" breaks the rule.");
        foreach (var reference in ForbiddenReferences)
        {
            text.Append("\n  references assembly ").Append(reference);
        }

        foreach (var (type, reasons) in types.Reasons.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            foreach (var reason in reasons)
            {
                text.Append("\n  ").Append(type).Append(' ').Append(reason);
            }
        }

        return text.ToString();
    }
}
