using Ops.Core.Envelopes;
using Ops.Packs.GitHub.Contracts;
using Ops.Testing;

namespace Ops.Packs.GitHub.Tests;

/// <summary>
/// Issue 20 item 6 end to end, against the scripted GitHub on 127.0.0.1: the listing asks for every state, so an issue
/// closed after the first sync arrives and the index follows it; the tombstone sweep follows a transferred issue's 301 on
/// BaseUrl's origin and records where it went; a redirect to another origin, a loop and too many hops are not followed
/// and are recorded as quarantined.
/// </summary>
public abstract partial class ConnectorHardeningSyncTests
{
    [Fact]
    public async Task Issue20Item6_AnIssueClosedAfterTheFirstSync_ArrivesClosed_AndTheIndexStateFollows()
    {
        await using var repo = new FakeRepository();
        repo.Put(1, T1);
        repo.Put(2, T1.AddHours(1));
        await using var h = await StartAsync(repo);
        await SyncAsync(h);

        repo.Put(2, T1.AddHours(2), state: "closed");
        var second = await SyncAsync(h);

        Assert.All(repo.ListRequests, r => Assert.Contains("state=all", r, StringComparison.Ordinal));
        Assert.Equal(1, second.Appended);
        var observed = (await EventsAsync(h, GitHubNames.IssueObservedEvent)).Select(e => e.PayloadAs<IssueObserved>()).Last();
        Assert.Equal((2, "closed", T1.AddHours(2)), (observed.Number, observed.State, observed.ClosedAt));
        await h.Kernel.Projections.CatchUpAsync(null, Ct);
        var document = await (await h.Kernel.ReaderForAsync(GitHubNames.PackId, h.AdminCaller, Ct)).GetAsync<IssueDocument>(GitHubNames.IssueIndexProjection, "octo/repo#2", Ct);
        Assert.Equal("closed", document!.State);
        var open = await h.QueryAsync<IssuesByStateAndLabelResult>(GitHubNames.PackId, GitHubNames.IssuesByStateAndLabelRoute, new { state = "open" });
        var closed = await h.QueryAsync<IssuesByStateAndLabelResult>(GitHubNames.PackId, GitHubNames.IssuesByStateAndLabelRoute, new { state = "closed" });
        Assert.Equal([1], open!.Issues.Select(i => i.Number));
        Assert.Equal([2], closed!.Issues.Select(i => i.Number));
    }

    [Fact]
    public async Task Issue20Item6_ATransferredIssue_IsFollowedOnTheSameOrigin_AndTheTombstoneSaysWhereItWent()
    {
        await using var repo = new FakeRepository();
        repo.Put(1, T1);
        repo.Put(2, T1.AddHours(1));
        await using var h = await StartAsync(repo);
        await SyncAsync(h);

        // Transferred to octo/elsewhere#7: gone from the listing; its old URL answers 301 to the new issue (as GitHub does).
        repo.Issues.TryRemove(2, out _);
        var root = repo.Server.Root.AbsoluteUri.TrimEnd('/');
        repo.Redirect("/repos/octo/repo/issues/2", root + "/repositories/2000/issues/7");
        repo.Paths["/repositories/2000/issues/7"] = (200, GitHubJson.IssueIn(root + "/repos/octo/elsewhere", 7, "2024-05-03T10:00:00Z"), []);
        await Control(h).ResetAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, "sweep for moved issues", Ct);
        var sweep = await SyncAsync(h);

        Assert.Equal(["GET /repos/octo/repo/issues/2", "GET /repositories/2000/issues/7"], repo.IssueRequests);
        Assert.Equal((1, 1), (sweep.Rechecked, sweep.Tombstones));
        var tombstone = Assert.Single(await EventsAsync(h, GitHubNames.IssueDeletedEvent));
        Assert.Equal("pack.github:acme/issue-octo/repo#2", tombstone.StreamId);
        Assert.Equal(new IssueDeleted("octo/repo", 2, 301, T1.AddHours(1), "octo/elsewhere", 7), tombstone.PayloadAs<IssueDeleted>());
        Assert.Empty(await EventsAsync(h, GitHubNames.IssueQuarantinedEvent));
        await h.Kernel.Projections.CatchUpAsync(null, Ct);
        var document = await (await h.Kernel.ReaderForAsync(GitHubNames.PackId, h.AdminCaller, Ct)).GetAsync<IssueDocument>(GitHubNames.IssueIndexProjection, "octo/repo#2", Ct);
        Assert.True(document!.IsGone());
    }

    [Fact]
    public async Task Issue20Item6_ARedirectToAnotherOrigin_IsRefused_NothingIsSentThere_AndItIsRecorded()
    {
        await using var repo = new FakeRepository();
        await using var attacker = new ScriptedGitHubServer();
        repo.Put(1, T1);
        repo.Put(2, T1.AddHours(1));
        await using var h = await StartAsync(repo);
        await SyncAsync(h);

        repo.Issues.TryRemove(2, out _);
        repo.Redirect("/repos/octo/repo/issues/2", attacker.Root.AbsoluteUri + "repos/octo/repo/issues/2");
        await Control(h).ResetAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, "sweep", Ct);
        var sweep = await SyncAsync(h);

        Assert.Empty(attacker.Requests);
        Assert.Equal(["GET /repos/octo/repo/issues/2"], repo.IssueRequests);
        Assert.Equal((1, 0), (sweep.Rechecked, sweep.Tombstones));
        Assert.Empty(await EventsAsync(h, GitHubNames.IssueDeletedEvent));
        var recorded = Assert.Single(await EventsAsync(h, GitHubNames.IssueQuarantinedEvent));
        Assert.Equal("pack.github:acme/quarantine-octo/repo#2", recorded.StreamId);
        var payload = recorded.PayloadAs<IssueQuarantined>();
        Assert.Equal(("location", GitHubIssueParser.RedirectRefused, 2), (payload.Field, payload.Problem, payload.Number));
        Assert.Contains(attacker.Root.GetLeftPart(UriPartial.Authority), payload.Detail, StringComparison.Ordinal);
        Assert.Contains("not the configured BaseUrl's origin", payload.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("loop", 3)]
    [InlineData("chain", 4)]
    public async Task Issue20Item6_ARedirectLoopOrTooManyMoves_IsBounded_AndRecorded(string shape, int requests)
    {
        await using var repo = new FakeRepository();
        repo.Put(1, T1);
        repo.Put(2, T1.AddHours(1));
        await using var h = await StartAsync(repo);
        await SyncAsync(h);

        repo.Issues.TryRemove(2, out _);
        var root = repo.Server.Root.AbsoluteUri.TrimEnd('/');
        if (shape == "loop")
        {
            // 2 -> a -> b -> 2: the third move would revisit the first URL.
            repo.Redirect("/repos/octo/repo/issues/2", root + "/repositories/1/issues/a");
            repo.Redirect("/repositories/1/issues/a", "/repositories/1/issues/b");
            repo.Redirect("/repositories/1/issues/b", root + "/repos/octo/repo/issues/2");
        }
        else
        {
            // 2 -> h1 -> h2 -> h3 -> h4 -> …: four moves, one more than followed.
            repo.Redirect("/repos/octo/repo/issues/2", root + "/repositories/1/issues/h1");
            for (var i = 1; i <= 5; i++)
            {
                repo.Redirect($"/repositories/1/issues/h{i}", $"{root}/repositories/1/issues/h{i + 1}", status: 308);
            }
        }

        await Control(h).ResetAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, "sweep", Ct);
        var sweep = await SyncAsync(h);

        Assert.Equal(requests, repo.IssueRequests.Count);
        Assert.True(sweep.Completed);
        Assert.Empty(await EventsAsync(h, GitHubNames.IssueDeletedEvent));
        var payload = Assert.Single(await EventsAsync(h, GitHubNames.IssueQuarantinedEvent)).PayloadAs<IssueQuarantined>();
        Assert.Equal(GitHubIssueParser.RedirectRefused, payload.Problem);
        Assert.Contains(shape == "loop" ? "loop back" : "more than 3 redirects", payload.Detail, StringComparison.Ordinal);

        // The same refusal again is the same record: nothing new is appended.
        await Control(h).ResetAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, "sweep again", Ct);
        Assert.Equal(0, (await SyncAsync(h)).Appended);
    }
}
