using Ops.Core.Envelopes;
using Ops.Core.Packs;
using Ops.Packs.GitHub.Contracts;

namespace Ops.Packs.GitHub;

/// <summary>A document of <c>pack.github.issues.IssueIndex</c>: the newest observation of one issue, and its newest tombstone.</summary>
/// <param name="Repository">The repository, <c>owner/repo</c>.</param>
/// <param name="Number">The issue number.</param>
/// <param name="Title">The title (empty while only a tombstone was folded).</param>
/// <param name="State"><c>open</c> or <c>closed</c>.</param>
/// <param name="Labels">Label names, sorted ordinally.</param>
/// <param name="AuthorLogin">Who opened it.</param>
/// <param name="CreatedAt">When it was opened.</param>
/// <param name="UpdatedAt">When it last changed; the first half of the fold's ordering key.</param>
/// <param name="HtmlUrl">Its web page.</param>
/// <param name="EventId">The kept observation's event id; the second half of the ordering key.</param>
/// <param name="ClosedAt">When it was closed, if it is.</param>
/// <param name="GoneAt">occurred_at of the newest <c>IssueDeleted</c> tombstone, if any.</param>
/// <param name="GoneEventId">That tombstone's event id.</param>
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
    DateTimeOffset? ClosedAt = null,
    DateTimeOffset? GoneAt = null,
    string? GoneEventId = null)
{
    public static IssueDocument From(IssueObserved issue, string eventId) =>
        new(issue.Repository, issue.Number, issue.Title, issue.State, issue.Labels, issue.AuthorLogin, issue.CreatedAt, issue.UpdatedAt, issue.HtmlUrl, eventId, issue.ClosedAt);

    /// <summary>Whether the issue is gone: a tombstone at or after the newest observation (a later observation revives it).</summary>
    public bool IsGone() => GoneAt is { } gone && gone >= UpdatedAt;
}

/// <summary>
/// <c>pack.github.issues.IssueIndex</c> v2: one document per issue and tenant (the kernel keeps documents
/// per tenant and mode), keyed by its native id <c>owner/repo#number</c>. A document holds two independent maxima
/// over total orders: the observation with the greatest (updated_at, event_id), and the tombstone with the greatest
/// (occurred_at, event_id); so the result does not depend on the order events are folded in. The issue is marked
/// gone (<see cref="IssueDocument.IsGone"/>), not dropped, while its newest tombstone is at or after its newest
/// observation; queries leave gone issues out. v2 added the tombstone fields (v1 documents are rebuilt).
/// </summary>
internal sealed class IssueIndexProjection : IProjection<IssueDocument>
{
    public const int Version = 2;

    public IReadOnlyCollection<string> EventTypes { get; } = [GitHubNames.IssueObservedEvent, GitHubNames.IssueDeletedEvent];

    public string? KeyOf(EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return envelope.EventType == GitHubNames.IssueDeletedEvent
            ? IssueObserved.NativeIdOf(envelope.PayloadAs<IssueDeleted>().Repository, envelope.PayloadAs<IssueDeleted>().Number)
            : IssueObserved.NativeIdOf(envelope.PayloadAs<IssueObserved>().Repository, envelope.PayloadAs<IssueObserved>().Number);
    }

    public IssueDocument? Apply(IssueDocument? current, EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        if (envelope.EventType == GitHubNames.IssueDeletedEvent)
        {
            var deleted = envelope.PayloadAs<IssueDeleted>();
            var document = current ?? new IssueDocument(deleted.Repository, deleted.Number, string.Empty, string.Empty, [], string.Empty, DateTimeOffset.MinValue, DateTimeOffset.MinValue, string.Empty, string.Empty);
            return document.GoneAt is { } gone && Compare(gone, document.GoneEventId!, envelope.OccurredAt, envelope.EventId) >= 0
                ? document
                : document with { GoneAt = envelope.OccurredAt, GoneEventId = envelope.EventId };
        }

        var issue = envelope.PayloadAs<IssueObserved>();
        if (current is not null && IsNewerOrSame(current, issue.UpdatedAt, envelope.EventId))
        {
            return current;
        }

        return IssueDocument.From(issue, envelope.EventId) with { GoneAt = current?.GoneAt, GoneEventId = current?.GoneEventId };
    }

    /// <summary>Whether <paramref name="current"/>'s observation orders at or after (<paramref name="updatedAt"/>, <paramref name="eventId"/>).</summary>
    internal static bool IsNewerOrSame(IssueDocument current, DateTimeOffset updatedAt, string eventId) =>
        current.EventId.Length > 0 && Compare(current.UpdatedAt, current.EventId, updatedAt, eventId) >= 0;

    private static int Compare(DateTimeOffset aTime, string aId, DateTimeOffset bTime, string bId)
    {
        var byTime = aTime.CompareTo(bTime);
        return byTime != 0 ? byTime : string.CompareOrdinal(aId, bId);
    }
}
