using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Packs;
using Ops.Packs.GitHub.Contracts;

namespace Ops.Packs.GitHub.Tests;

/// <summary>The IssueIndex fold and the query over it, without a kernel.</summary>
public sealed class IssueIndexTests
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Apply_EveryOrderOfObservations_KeepsGreatestUpdatedAtThenEventId()
    {
        var events = new[]
        {
            Observed(new IssueObserved("octo/repo", 7, "old title", "open", [], "mona", T0, T0, "https://github.com/octo/repo/issues/7")),
            Observed(new IssueObserved("octo/repo", 7, "closed", "closed", ["bug"], "mona", T0, T0.AddHours(1), "https://github.com/octo/repo/issues/7", T0.AddHours(1))),
            Observed(new IssueObserved("octo/repo", 7, "same instant, other content", "open", ["wontfix"], "mona", T0, T0.AddHours(1), "https://github.com/octo/repo/issues/7")),
        };
        var projection = new IssueIndexProjection();
        var expectedEventId = events.Skip(1).Select(e => e.EventId).Order(StringComparer.Ordinal).Last();

        var results = Permutations(events)
            .Select(order => order.Aggregate((IssueDocument?)null, projection.Apply))
            .Select(document => Convert.ToHexString(CanonicalJson.SerializeToCanonical(document)))
            .Distinct()
            .ToList();

        var only = Assert.Single(results);
        var document = JsonSerializer.Deserialize<IssueDocument>(Convert.FromHexString(only), OpsJson.Options)!;
        Assert.Equal(expectedEventId, document.EventId);
        Assert.Equal(T0.AddHours(1), document.UpdatedAt);
        Assert.Equal("octo/repo#7", projection.KeyOf(events[0]));
    }

    [Fact]
    public async Task ExecuteAsync_LabelFilter_CountsMatchingIssuesOrderedByRepositoryThenNumber()
    {
        var reader = new ListReader(
        [
            Document("octo/zeta", 1, "open", "bug"),
            Document("octo/alpha", 10, "closed", "bug", "ui"),
            Document("octo/alpha", 9, "open", "Bug"),
            Document("octo/alpha", 2, "open", "docs"),
        ]);
        var handler = new IssuesByStateAndLabelHandler();

        var bugs = await handler.ExecuteAsync(Context(new IssuesByStateAndLabel(Label: "BUG"), reader), CancellationToken.None);
        var openBugs = await handler.ExecuteAsync(Context(new IssuesByStateAndLabel("Open", "bug"), reader), CancellationToken.None);

        Assert.Equal(3, bugs.Total);
        Assert.Equal([("octo/alpha", 9), ("octo/alpha", 10), ("octo/zeta", 1)], bugs.Issues.Select(i => (i.Repository, i.Number)));
        Assert.Equal(new Dictionary<string, int> { ["closed"] = 1, ["open"] = 2 }, bugs.ByState);
        Assert.Equal(new Dictionary<string, int> { ["Bug"] = 1, ["bug"] = 2, ["ui"] = 1 }, bugs.ByLabel);
        Assert.Equal(["Bug", "bug", "ui"], bugs.ByLabel.Keys);
        Assert.Equal(2, openBugs.Total);
        Assert.Equal([9, 1], openBugs.Issues.Select(i => i.Number));
    }

    private static QueryContext<IssuesByStateAndLabel> Context(IssuesByStateAndLabel query, IProjectionReader reader) =>
        new(query, new ActorRef("admin", ActorKind.Human), new IdentityScope("acme", "system", "admin", "test"), reader);

    private static IssueDocument Document(string repository, int number, string state, params string[] labels) =>
        new(repository, number, $"Issue {number}", state, labels, "mona", T0, T0, $"https://github.com/{repository}/issues/{number}", new string('0', 64));

    private static EventEnvelope Observed(IssueObserved issue)
    {
        const string sourceRef = "connector:github.issues";
        var payload = JsonSerializer.SerializeToElement(issue, OpsJson.Options);
        var hash = ContentHash.OfJson(payload);
        var nativeId = IssueObserved.NativeIdOf(issue.Repository, issue.Number);
        return new EventEnvelope
        {
            EventId = DeterministicIds.EventId(sourceRef, nativeId, hash, issue.UpdatedAt),
            EventType = GitHubNames.IssueObservedEvent,
            PayloadSchemaVersion = 1,
            Payload = payload,
            PayloadHash = hash,
            OccurredAt = issue.UpdatedAt,
            IngestedAt = issue.UpdatedAt,
            CorrelationId = "sync",
            SourceRef = sourceRef,
            Actor = new ActorRef("github.issues", ActorKind.Service),
            Scope = new IdentityScope("acme", "system", null, "test"),
            StreamId = "pack.github:issue-" + nativeId,
            StreamVersion = 1,
        };
    }

    private static IEnumerable<T[]> Permutations<T>(T[] items) =>
        items.Length <= 1
            ? [items]
            : items.SelectMany((item, i) => Permutations(items.Where((_, j) => j != i).ToArray()).Select(rest => (T[])[item, .. rest]));

    private sealed class ListReader(IReadOnlyList<IssueDocument> documents) : IProjectionReader
    {
        public ValueTask<TDocument?> GetAsync<TDocument>(string projectionName, string key, CancellationToken cancellationToken)
            where TDocument : class => throw new NotSupportedException();

        public ValueTask<IReadOnlyList<TDocument>> ListAsync<TDocument>(string projectionName, CancellationToken cancellationToken)
            where TDocument : class
        {
            Assert.Equal(GitHubNames.IssueIndexProjection, projectionName);
            return ValueTask.FromResult((IReadOnlyList<TDocument>)documents.Cast<TDocument>().ToList());
        }
    }
}
