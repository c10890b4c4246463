using System.Text.Json;
using Ops.Core.Capabilities;
using Ops.Core.Connectors;
using Ops.Core.Envelopes;
using Ops.Core.Packs;
using Ops.Packs.GitHub.Contracts;
using Ops.Testing;

namespace Ops.Packs.GitHub.Tests;

/// <summary>End to end: a real kernel syncing the recorded paginate-issues scenario from the real fixtures server.</summary>
public sealed class GitHubIssuesSyncTests(GitHubFixtureServer server) : IClassFixture<GitHubFixtureServer>
{
    private const string Repository = "octokit-fixture-org/paginate-issues";
    private const string RecordedToken = "0000000000000000000000000000000000000001";
    private const string Scenario = "paginate-issues";

    private static CancellationToken Ct => CancellationToken.None;

    [Fact]
    public async Task SyncAsync_PaginateIssues_AppendsThirteenIssuesOverFivePages()
    {
        var baseUrl = await server.ScenarioAsync(Scenario);
        await using var h = await StartAsync(baseUrl);

        var result = await h.Kernel.Connectors.SyncAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, null, Ct);

        Assert.Equal(5, result.Pages);
        Assert.Equal(13, result.Observed);
        Assert.Equal(13, result.Appended);
        Assert.True(result.Completed);
        Assert.Null(result.Cursor);
        Assert.Equal("2017-10-10T16:00:00Z", result.Watermark);
        var issues = await IssueEventsAsync(h);
        Assert.Equal(13, issues.Count);
        Assert.Equal(Enumerable.Range(1, 13).Reverse(), issues.Select(e => e.PayloadAs<IssueObserved>().Number));
        var first = issues[0];
        Assert.Equal("pack.github:acme/issue-octokit-fixture-org/paginate-issues#13", first.StreamId);
        Assert.Equal("connector:github.issues@acme", first.SourceRef);
        Assert.Equal(new DateTimeOffset(2017, 10, 10, 16, 0, 0, TimeSpan.Zero), first.OccurredAt);
        var payload = first.PayloadAs<IssueObserved>();
        Assert.Empty(payload.Labels);
        Assert.Equal(
            new IssueObserved(Repository, 13, "Test issue 13", "open", payload.Labels, "octokit-fixture-user-a", first.OccurredAt, first.OccurredAt, "https://github.com/octokit-fixture-org/paginate-issues/issues/13"),
            payload);
        Assert.All(issues, e => Assert.Equal("open", e.PayloadAs<IssueObserved>().State));
    }

    [Fact]
    public async Task SyncAsync_PaginateIssues_LeavesSecretReceiptAndNoTokenInTheLog()
    {
        var baseUrl = await server.ScenarioAsync(Scenario);
        await using var h = await StartAsync(baseUrl);

        await h.Kernel.Connectors.SyncAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, null, Ct);

        var events = await h.Kernel.EventLog.ReadAsync(0, 1000, Ct);
        var receipt = Assert.Single(events, e => e.Envelope.EventType == "core.SecretHandleIssued").Envelope.PayloadAs<SecretHandleIssued>();
        Assert.Equal(GitHubNames.TokenSecretId, receipt.SecretId);
        Assert.Equal("token", receipt.TokenType);
        Assert.Equal(new Uri(baseUrl).GetLeftPart(UriPartial.Authority), receipt.Audience);
        Assert.Equal("connector:github.issues", receipt.Scope);
        Assert.All(events, e => Assert.DoesNotContain(RecordedToken, e.Envelope.Payload.GetRawText(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task SyncAsync_FreshScenarioOfSameRecordingOnSameLog_AppendsNothing()
    {
        var directory = Path.Combine(Path.GetTempPath(), "ops-github-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var database = Path.Combine(directory, "ops.db");
            SyncResult first;
            long head;
            await using (var h = await StartAsync(await server.ScenarioAsync(Scenario), database: database))
            {
                first = await h.Kernel.Connectors.SyncAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, null, Ct);
            }

            // The kernel restarts on the same log, configured with a fresh copy of the recording (new base URL). The stored
            // watermark would send since= (not in the recording): the supported way back to a full listing is a reset.
            await using (var h = await StartAsync(await server.ScenarioAsync(Scenario), database: database, initialize: false))
            {
                var issuesBefore = (await IssueEventsAsync(h)).Count;
                var control = new ConnectorControl(h.Kernel);
                Assert.Equal("2017-10-10T16:00:00Z", (await control.ReadAsync(GitHubNames.IssuesConnectorId, "acme", Ct)).Watermark);
                head = await h.Kernel.EventLog.HeadPositionAsync(Ct);
                await control.ResetAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, "base URL changed to a fresh recording", Ct);

                var second = await h.Kernel.Connectors.SyncAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, null, Ct);

                Assert.Equal(13, first.Appended);
                Assert.Equal(13, issuesBefore);
                Assert.Equal(5, second.Pages);
                Assert.Equal(13, second.Observed);
                Assert.Equal(0, second.Appended);
                Assert.True(second.Completed);
                Assert.Equal(13, (await IssueEventsAsync(h)).Count);

                // Only the reset and the new secret receipt (bound to the new base URL) were appended; the sweep found nothing to re-fetch.
                var after = await h.Kernel.EventLog.ReadAsync(head, 1000, Ct);
                Assert.Equal(["core.ConnectorCursorReset", "core.SecretHandleIssued"], after.Select(e => e.Envelope.EventType));
                Assert.Equal((0, 0, 0), (second.Rechecked, second.Tombstones, second.Conflicts));
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task SyncAsync_TwoIndependentKernels_AppendIdenticalEventIds()
    {
        await using var a = await StartAsync(await server.ScenarioAsync(Scenario));
        await using var b = await StartAsync(await server.ScenarioAsync(Scenario));

        await a.Kernel.Connectors.SyncAsync(GitHubNames.IssuesConnectorId, a.AdminCaller, null, Ct);
        b.Time.Advance(TimeSpan.FromHours(3));
        await b.Kernel.Connectors.SyncAsync(GitHubNames.IssuesConnectorId, b.AdminCaller, null, Ct);

        var idsA = (await IssueEventsAsync(a)).Select(e => (e.EventId, e.StreamId, e.PayloadHash)).ToList();
        var idsB = (await IssueEventsAsync(b)).Select(e => (e.EventId, e.StreamId, e.PayloadHash)).ToList();
        Assert.Equal(13, idsA.Count);
        Assert.Equal(13, idsA.Select(i => i.EventId).Distinct().Count());
        Assert.Equal(idsA, idsB);
    }

    [Fact]
    public async Task IssuesByStateAndLabel_StateOpenAfterSync_ReturnsThirteenIssuesInNumberOrder()
    {
        await using var h = await StartAsync(await server.ScenarioAsync(Scenario));
        await h.Kernel.Connectors.SyncAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, null, Ct);
        await h.Kernel.Projections.CatchUpAsync(null, Ct);

        var open = await QueryAsync(h, new { state = "open" });
        var closed = await QueryAsync(h, new { state = "closed" });
        var labelled = await QueryAsync(h, new { state = "open", label = "bug" });
        var all = await QueryAsync(h, new { });

        Assert.Equal(13, open.Total);
        Assert.Equal(new Dictionary<string, int> { ["open"] = 13 }, open.ByState);
        Assert.Empty(open.ByLabel);
        Assert.Equal(Enumerable.Range(1, 13), open.Issues.Select(i => i.Number));
        Assert.Empty(open.Issues[0].Labels);
        Assert.Equal(new IssueSummary(Repository, 1, "Test issue 1", "open", open.Issues[0].Labels), open.Issues[0]);
        Assert.All(open.Issues, i => Assert.Equal(Repository, i.Repository));
        Assert.Equal(0, closed.Total);
        Assert.Empty(closed.Issues);
        Assert.Equal(0, labelled.Total);
        Assert.Equal(13, all.Total);
    }

    [Fact]
    public async Task IssueIndex_RebuildAfterLiveCatchUp_HasIdenticalStateHash()
    {
        await using var h = await StartAsync(await server.ScenarioAsync(Scenario));
        await h.Kernel.Projections.CatchUpAsync(null, Ct);
        await h.Kernel.Connectors.SyncAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, null, Ct);
        await h.Kernel.Projections.CatchUpAsync(null, Ct);
        var live = await h.Kernel.Projections.StateHashAsync(GitHubNames.IssueIndexProjection, Ct);
        var documents = await (await h.Kernel.ReaderForAsync(GitHubNames.PackId, h.AdminCaller, Ct)).ListAsync<IssueDocument>(GitHubNames.IssueIndexProjection, Ct);

        await h.Kernel.Projections.RebuildAsync(GitHubNames.IssueIndexProjection, Ct);
        var rebuilt = await h.Kernel.Projections.StateHashAsync(GitHubNames.IssueIndexProjection, Ct);

        Assert.Equal(13, documents.Count);
        Assert.Equal(live, rebuilt);
        var issue7 = await (await h.Kernel.ReaderForAsync(GitHubNames.PackId, h.AdminCaller, Ct)).GetAsync<IssueDocument>(GitHubNames.IssueIndexProjection, Repository + "#7", Ct);
        Assert.NotNull(issue7);
        Assert.Equal("Test issue 7", issue7.Title);
        var event7 = (await IssueEventsAsync(h)).Single(e => e.PayloadAs<IssueObserved>().Number == 7);
        Assert.Equal(event7.EventId, issue7.EventId);
    }

    [Fact]
    public async Task SyncAsync_WrongToken_FailsWithConnectorExceptionAndAppendsNothing()
    {
        await using var h = await StartAsync(await server.ScenarioAsync(Scenario), token: "0000000000000000000000000000000000000002");

        var error = await Assert.ThrowsAsync<ConnectorException>(() => h.Kernel.Connectors.SyncAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, null, Ct));

        Assert.Equal(GitHubNames.IssuesConnectorId, error.ConnectorId);
        Assert.Contains("page 1 failed", error.Message, StringComparison.Ordinal);
        Assert.Contains("GitHub answered 404 NotFound to GET", error.Message, StringComparison.Ordinal);
        Assert.Contains("No match for request", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("0000000000000000000000000000000000000002", error.Message, StringComparison.Ordinal);
        Assert.Empty(await IssueEventsAsync(h));
    }

    [Fact]
    public async Task SyncAsync_TokenNotConfigured_FailsWithConnectorExceptionAndAppendsNothing()
    {
        await using var h = await StartAsync(await server.ScenarioAsync(Scenario), token: null);

        var error = await Assert.ThrowsAsync<ConnectorException>(() => h.Kernel.Connectors.SyncAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, null, Ct));

        Assert.Contains("Secret 'github_token' is not configured", error.Message, StringComparison.Ordinal);
        Assert.Empty(await IssueEventsAsync(h));
    }

    [Fact]
    public async Task SyncAsync_RepositoryNotConfigured_FailsNamingTheSetting()
    {
        await using var h = await KernelHarness.StartAsync([new GitHubPack()], new Dictionary<string, string?> { ["Ops:Secrets:github_token"] = RecordedToken });

        var error = await Assert.ThrowsAsync<ConnectorException>(() => h.Kernel.Connectors.SyncAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, null, Ct));

        Assert.Contains("Ops:Packs:github:Repository is not set", error.Message, StringComparison.Ordinal);
        Assert.Empty(await IssueEventsAsync(h));
    }

    [Fact]
    public async Task StartAsync_MalformedConfiguration_RefusesThePackNamingEachKey()
    {
        var error = await Assert.ThrowsAsync<PackLoadException>(() => KernelHarness.StartAsync(
            [new GitHubPack()],
            new Dictionary<string, string?>
            {
                ["Ops:Packs:github:BaseUrl"] = "api.github.com",
                ["Ops:Packs:github:Repository"] = "just-a-name",
                ["Ops:Packs:github:PerPage"] = "0",
            }));

        Assert.Equal("github", error.PackId);
        Assert.Contains("Ops:Packs:github:BaseUrl is 'api.github.com'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Ops:Packs:github:Repository is 'just-a-name'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Ops:Packs:github:PerPage is '0'", error.Message, StringComparison.Ordinal);
    }

    private static Task<KernelHarness> StartAsync(string baseUrl, string? token = RecordedToken, string? database = null, bool initialize = true)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Ops:Packs:github:BaseUrl"] = baseUrl,
            ["Ops:Packs:github:Repository"] = Repository,
            // The recording asked GitHub with no state parameter; the connector's default, state=all, would not match it.
            ["Ops:Packs:github:State"] = "default",
            ["Ops:Secrets:github_token"] = token,
        };
        if (database is not null)
        {
            settings["Ops:Routes:event_log:ConnectionString"] = $"Data Source={database}";
            settings["Ops:Routes:projections:ConnectionString"] = $"Data Source={database}";
        }

        return KernelHarness.StartAsync([new GitHubPack()], settings, initialize);
    }

    private static async Task<List<EventEnvelope>> IssueEventsAsync(KernelHarness h) =>
        (await h.Kernel.EventLog.ReadAsync(0, 1000, Ct))
            .Where(e => e.Envelope.EventType == GitHubNames.IssueObservedEvent)
            .Select(e => e.Envelope)
            .ToList();

    private static async Task<IssuesByStateAndLabelResult> QueryAsync(KernelHarness h, object arguments)
    {
        var query = h.Kernel.Registry.Queries[GitHubNames.PackId + "/" + GitHubNames.IssuesByStateAndLabelRoute];
        var answer = await h.Kernel.Queries.RunAsync(query, JsonSerializer.SerializeToElement(arguments), h.AdminCaller, Ct);
        return Assert.IsType<IssuesByStateAndLabelResult>(answer.Result);
    }
}
