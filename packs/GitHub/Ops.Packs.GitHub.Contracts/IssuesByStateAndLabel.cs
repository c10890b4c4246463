namespace Ops.Packs.GitHub.Contracts;

/// <summary>
/// <c>pack.github.issues.IssuesByStateAndLabel</c>, route <c>issues-by-state-and-label</c>: the issues
/// indexed for the caller's tenant (observed by syncs its actors ran) that match an optional state and
/// an optional label, with counts by state and by label.
/// </summary>
/// <param name="State">Only issues in this state (<c>open</c> or <c>closed</c>, case-insensitive); <see langword="null"/> for every state.</param>
/// <param name="Label">Only issues carrying this label (case-insensitive, as GitHub compares label names); <see langword="null"/> for any.</param>
public sealed record IssuesByStateAndLabel(string? State = null, string? Label = null);

/// <summary>The answer to <see cref="IssuesByStateAndLabel"/>; counts are over the matching issues.</summary>
/// <param name="Total">How many issues match.</param>
/// <param name="ByState">Matching issues per state, keys sorted ordinally.</param>
/// <param name="ByLabel">Matching issues per label name, keys sorted ordinally; an issue with several labels counts once under each.</param>
/// <param name="Issues">The matching issues, ordered by repository, then number.</param>
public sealed record IssuesByStateAndLabelResult(
    int Total,
    IReadOnlyDictionary<string, int> ByState,
    IReadOnlyDictionary<string, int> ByLabel,
    IReadOnlyList<IssueSummary> Issues);

/// <summary>One issue in a query answer.</summary>
/// <param name="Repository">The repository, <c>owner/repo</c>.</param>
/// <param name="Number">The issue number.</param>
/// <param name="Title">The issue title.</param>
/// <param name="State"><c>open</c> or <c>closed</c>.</param>
/// <param name="Labels">Label names, sorted ordinally.</param>
public sealed record IssueSummary(string Repository, int Number, string Title, string State, IReadOnlyList<string> Labels);
