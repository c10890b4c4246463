using Ops.Core.Envelopes;
using Ops.Core.Packs;
using Ops.Packs.GitHub.Contracts;

namespace Ops.Packs.GitHub;

/// <summary>A document of <c>pack.github.issues.IssueIndex</c>: the newest observation of one issue.</summary>
/// <param name="Repository">The repository, <c>owner/repo</c>.</param>
/// <param name="Number">The issue number.</param>
/// <param name="Title">The title.</param>
/// <param name="State"><c>open</c> or <c>closed</c>.</param>
/// <param name="Labels">Label names, sorted ordinally.</param>
/// <param name="AuthorLogin">Who opened it.</param>
/// <param name="CreatedAt">When it was opened.</param>
/// <param name="UpdatedAt">When it last changed; the first half of the fold's ordering key.</param>
/// <param name="HtmlUrl">Its web page.</param>
/// <param name="EventId">The kept observation's event id; the second half of the ordering key.</param>
/// <param name="ClosedAt">When it was closed, if it is.</param>
internal sealed record IssueDocument(
    string Repository,
    int Number,
    string Title,
    string State,
    IReadOnlyList<string> Labels,
    string AuthorLogin,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string HtmlUrl,
    string EventId,
    DateTimeOffset? ClosedAt = null)
{
    public static IssueDocument From(IssueObserved issue, string eventId) =>
        new(issue.Repository, issue.Number, issue.Title, issue.State, issue.Labels, issue.AuthorLogin, issue.CreatedAt, issue.UpdatedAt, issue.HtmlUrl, eventId, issue.ClosedAt);
}

/// <summary>
/// <c>pack.github.issues.IssueIndex</c> v1: one document per issue and tenant (the kernel keeps documents
/// per tenant and mode), keyed by its native id <c>owner/repo#number</c>. Each document is the observation with the greatest (updated_at, event_id),
/// a maximum over a total order, so the result does not depend on the order events are folded in.
/// </summary>
internal sealed class IssueIndexProjection : IProjection<IssueDocument>
{
    public const int Version = 1;

    public IReadOnlyCollection<string> EventTypes { get; } = [GitHubNames.IssueObservedEvent];

    public string? KeyOf(EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var issue = envelope.PayloadAs<IssueObserved>();
        return IssueObserved.NativeIdOf(issue.Repository, issue.Number);
    }

    public IssueDocument? Apply(IssueDocument? current, EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var issue = envelope.PayloadAs<IssueObserved>();
        return current is not null && IsNewerOrSame(current, issue.UpdatedAt, envelope.EventId)
            ? current
            : IssueDocument.From(issue, envelope.EventId);
    }

    /// <summary>Whether <paramref name="current"/> orders at or after (<paramref name="updatedAt"/>, <paramref name="eventId"/>).</summary>
    internal static bool IsNewerOrSame(IssueDocument current, DateTimeOffset updatedAt, string eventId)
    {
        var byTime = current.UpdatedAt.CompareTo(updatedAt);
        return byTime > 0 || (byTime == 0 && string.CompareOrdinal(current.EventId, eventId) >= 0);
    }
}
