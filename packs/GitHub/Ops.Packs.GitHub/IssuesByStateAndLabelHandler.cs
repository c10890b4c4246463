using Ops.Core.Packs;
using Ops.Packs.GitHub.Contracts;

namespace Ops.Packs.GitHub;

/// <summary>
/// Answers <c>issues-by-state-and-label</c> from the <c>IssueIndex</c> projection. Issues marked gone by a
/// tombstone are left out. It filters by nothing else but state and label: the kernel reads only the caller's tenant's documents (seed 001).
/// </summary>
internal sealed class IssuesByStateAndLabelHandler : IQueryHandler<IssuesByStateAndLabel, IssuesByStateAndLabelResult>
{
    public async ValueTask<IssuesByStateAndLabelResult> ExecuteAsync(QueryContext<IssuesByStateAndLabel> context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var state = string.IsNullOrWhiteSpace(context.Query.State) ? null : context.Query.State.Trim();
        var label = string.IsNullOrWhiteSpace(context.Query.Label) ? null : context.Query.Label.Trim();
        var documents = await context.Projections.ListAsync<IssueDocument>(GitHubNames.IssueIndexProjection, cancellationToken);
        var matching = documents
            .Where(d => !d.IsGone())
            .Where(d => state is null || string.Equals(d.State, state, StringComparison.OrdinalIgnoreCase))
            .Where(d => label is null || d.Labels.Contains(label, StringComparer.OrdinalIgnoreCase))
            .OrderBy(d => d.Repository, StringComparer.Ordinal)
            .ThenBy(d => d.Number)
            .ToList();
        var byState = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var byLabel = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var document in matching)
        {
            byState[document.State] = byState.GetValueOrDefault(document.State) + 1;
            foreach (var name in document.Labels)
            {
                byLabel[name] = byLabel.GetValueOrDefault(name) + 1;
            }
        }

        return new IssuesByStateAndLabelResult(
            matching.Count,
            byState,
            byLabel,
            matching.Select(d => new IssueSummary(d.Repository, d.Number, d.Title, d.State, d.Labels)).ToList());
    }
}
