using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Connectors;
using Ops.Core.Identity;
using Ops.Packs.GitHub.Contracts;

namespace Ops.Packs.GitHub.Tests;

/// <summary>Issue 10 item 4 at the connector: since, drift quarantine, rate-limit waits, the tombstone re-fetch.</summary>
public sealed class IssuesConnectorHardeningTests
{
    private const string Api = "https://api.github.com";
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => CancellationToken.None;

    /// <summary>Every way an item can leave the registered shape, generated from <see cref="GitHubIssueParser.Shape"/>: (mutation, field, problem).</summary>
    public static TheoryData<string, string, string> Drifts()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var rule in GitHubIssueParser.Shape)
        {
            if (rule.Required)
            {
                data.Add("remove:" + rule.Name, rule.Name, GitHubIssueParser.Missing);
            }

            // A JSON kind the rule does not allow (true is never an allowed kind).
            data.Add("bool:" + rule.Name, rule.Name, GitHubIssueParser.WrongType);
            if (!rule.Nullable)
            {
                data.Add("null:" + rule.Name, rule.Name, GitHubIssueParser.WrongType);
            }
        }

        data.Add("set:number=-1", "number", GitHubIssueParser.InvalidValue);
        data.Add("set:number=3000000000", "number", GitHubIssueParser.InvalidValue);
        data.Add("set:state=\"merged\"", "state", GitHubIssueParser.InvalidValue);
        data.Add("set:updated_at=\"yesterday\"", "updated_at", GitHubIssueParser.InvalidValue);
        data.Add("set:created_at=\"2024-13-01\"", "created_at", GitHubIssueParser.InvalidValue);
        data.Add("set:labels=[1]", "labels", GitHubIssueParser.InvalidValue);
        data.Add("item:42", "$", GitHubIssueParser.WrongType);
        return data;
    }

    [Theory]
    [MemberData(nameof(Drifts))]
    public async Task PullAsync_ItemOffTheRegisteredShape_IsQuarantinedNamingTheFieldAndThePageGoesOn(string mutation, string field, string problem)
    {
        var drifted = Mutate(GitHubJson.Issue(7, "2024-05-07T10:00:00Z"), mutation);
        var handler = new FakeGitHubHandler(_ => FakeGitHubHandler.Json(GitHubJson.Array([GitHubJson.Issue(8, "2024-05-08T10:00:00Z"), drifted, GitHubJson.Issue(6, "2024-05-06T10:00:00Z")])));

        var page = await Connector().PullAsync(new FakePullContext(handler), Ct);

        Assert.Equal([8, 6], page.Observations.Where(o => o.EventType == GitHubNames.IssueObservedEvent).Select(o => ((IssueObserved)o.Payload).Number));
        var quarantined = Assert.Single(page.Observations, o => o.EventType == GitHubNames.IssueQuarantinedEvent);
        var payload = Assert.IsType<IssueQuarantined>(quarantined.Payload);
        Assert.Equal(field, payload.Field);
        Assert.Equal(problem, payload.Problem);
        Assert.Equal("octo/repo", payload.Repository);
        Assert.Equal(ContentHash.OfJson(JsonDocument.Parse(drifted).RootElement), payload.ItemHash);
        Assert.Contains(field == "$" ? "item" : field, payload.Detail, StringComparison.Ordinal);
        // The watermark comes from the issues that fit, never from a quarantined item.
        Assert.Equal("2024-05-08T10:00:00Z", page.Watermark);
    }

    [Fact]
    public async Task PullAsync_SameDriftedItemTwice_GivesTheSameQuarantineObservation()
    {
        var drifted = Mutate(GitHubJson.Issue(7, "2024-05-07T10:00:00Z"), "remove:title");
        var handler = new FakeGitHubHandler(_ => FakeGitHubHandler.Json(GitHubJson.Array([drifted])));

        var first = Assert.Single((await Connector().PullAsync(new FakePullContext(handler), Ct)).Observations);
        var second = Assert.Single((await Connector().PullAsync(new FakePullContext(handler), Ct)).Observations);

        Assert.Equal(first, second with { Payload = first.Payload });
        Assert.Equal(first.Payload, second.Payload);
        Assert.Equal("quarantine-octo/repo#7", first.StreamKey);
        Assert.Equal(new DateTimeOffset(2024, 5, 7, 10, 0, 0, TimeSpan.Zero), first.OccurredAt);
    }

    [Fact]
    public async Task PullAsync_StoredWatermarkAtSyncStart_AsksGitHubOnlyForIssuesUpdatedSince()
    {
        var handler = new FakeGitHubHandler(_ => FakeGitHubHandler.Json("[]"));

        var page = await Connector().PullAsync(new FakePullContext(handler, cursor: null, watermark: "2024-06-01T00:00:00Z"), Ct);

        Assert.Equal($"{Api}/repos/octo/repo/issues?per_page=3&state=all&since=2024-06-01T00%3A00%3A00Z", Assert.Single(handler.Requests).RequestUri!.AbsoluteUri);
        Assert.Equal("2024-06-01T00:00:00Z", page.Watermark);
    }

    [Theory]
    [InlineData(429, "Retry-After", "7", 7)]
    [InlineData(403, "Retry-After", "60", 60)]
    [InlineData(403, "Retry-After", "0", 0)]
    [InlineData(403, "x-ratelimit-reset", "+30", 30)]
    [InlineData(429, "x-ratelimit-reset", "+45", 45)]
    [InlineData(429, null, null, 60)]
    public async Task PullAsync_RateLimitAnswer_WaitsExactlyWhatGitHubAsksOnTheKernelClockThenRetriesTheGet(int status, string? header, string? value, int expectedSeconds)
    {
        var time = new SignallingTimeProvider(Now);
        var headers = header switch
        {
            null => Array.Empty<(string, string)>(),
            "x-ratelimit-reset" => [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", (Now.ToUnixTimeSeconds() + long.Parse(value!, System.Globalization.CultureInfo.InvariantCulture)).ToString(System.Globalization.CultureInfo.InvariantCulture))],
            _ => [(header, value!)],
        };
        var calls = 0;
        var handler = new FakeGitHubHandler(_ => ++calls == 1
            ? FakeGitHubHandler.Json("""{"message":"slow down"}""", (HttpStatusCode)status, headers)
            : FakeGitHubHandler.Json(GitHubJson.Array([GitHubJson.Issue(1, "2024-05-01T10:00:00Z")])));

        var pull = Connector().PullAsync(new FakePullContext(handler, time: time), Ct).AsTask();
        var due = expectedSeconds == 0 ? TimeSpan.Zero : await NextTimerAsync(time, pull);
        time.Advance(due);
        var page = await pull;

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), due);
        Assert.Equal(2, handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.Equal(HttpMethod.Get, r.Method));
        Assert.Equal(handler.Requests[0].RequestUri, handler.Requests[1].RequestUri);
        Assert.Single(page.Observations);
    }

    [Fact]
    public async Task PullAsync_WaitLongerThanTheBound_IsNotTakenAndSaysWhy()
    {
        var time = new SignallingTimeProvider(Now);
        var handler = new FakeGitHubHandler(_ => FakeGitHubHandler.Json("""{"message":"API rate limit exceeded"}""", HttpStatusCode.Forbidden, ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", (Now.ToUnixTimeSeconds() + 7200).ToString(System.Globalization.CultureInfo.InvariantCulture))));

        var error = await Assert.ThrowsAsync<HttpRequestException>(async () => await Connector().PullAsync(new FakePullContext(handler, time: time), Ct));

        Assert.Single(handler.Requests);
        Assert.False(time.Timers.Reader.TryRead(out _));
        Assert.Contains("Not retried: GitHub asks for a wait of 7200 s, more than RateLimitMaxWaitSeconds (60 s)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullAsync_RateLimitedEveryTime_StopsAfterMaxRetriesWithBoundedTotalWait()
    {
        var time = new SignallingTimeProvider(Now);
        var handler = new FakeGitHubHandler(_ => FakeGitHubHandler.Json("""{"message":"slow down"}""", HttpStatusCode.TooManyRequests, ("Retry-After", "5")));

        var pull = Connector().PullAsync(new FakePullContext(handler, time: time), Ct).AsTask();
        var waits = new List<TimeSpan>();
        for (var i = 0; i < GitHubOptions.DefaultRateLimitMaxRetries; i++)
        {
            var due = await NextTimerAsync(time, pull);
            waits.Add(due);
            time.Advance(due);
        }

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => pull);

        Assert.Equal(Enumerable.Repeat(TimeSpan.FromSeconds(5), 3), waits);
        Assert.Equal(4, handler.Requests.Count);
        Assert.Equal(Now + TimeSpan.FromSeconds(15), time.GetUtcNow());
        Assert.Contains("Gave up after 3 retries (RateLimitMaxRetries 3)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullAsync_ForbiddenWithoutRateLimitHeaders_IsARefusalNotRetried()
    {
        var time = new SignallingTimeProvider(Now);
        var handler = new FakeGitHubHandler(_ => FakeGitHubHandler.Json("""{"message":"Resource not accessible by integration"}""", HttpStatusCode.Forbidden, ("x-ratelimit-remaining", "4999")));

        var error = await Assert.ThrowsAsync<HttpRequestException>(async () => await Connector().PullAsync(new FakePullContext(handler, time: time), Ct));

        Assert.Single(handler.Requests);
        Assert.False(time.Timers.Reader.TryRead(out _));
        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.Gone)]
    public async Task RecheckAsync_IssueGone_ReportsATombstoneAtTheLastRecordedTime(HttpStatusCode status)
    {
        var handler = new FakeGitHubHandler(_ => FakeGitHubHandler.Json("""{"message":"Not Found"}""", status));
        var last = new DateTimeOffset(2024, 5, 2, 10, 0, 0, TimeSpan.Zero);

        var tombstone = await Connector().RecheckAsync(new FakePullContext(handler), Known(2, last), Ct);

        Assert.Equal($"{Api}/repos/octo/repo/issues/2", Assert.Single(handler.Requests).RequestUri!.AbsoluteUri);
        Assert.NotNull(tombstone);
        Assert.Equal(GitHubNames.IssueDeletedEvent, tombstone.EventType);
        Assert.Equal("issue-octo/repo#2", tombstone.StreamKey);
        Assert.Equal("octo/repo#2", tombstone.SourceNativeId);
        Assert.Equal(last, tombstone.OccurredAt);
        Assert.Equal(new IssueDeleted("octo/repo", 2, (int)status, last), tombstone.Payload);
    }

    [Fact]
    public void IssueDeleted_WithoutAMove_HasTheSameJsonAsBeforeMovesWereRecorded()
    {
        var at = new DateTimeOffset(2024, 5, 2, 10, 0, 0, TimeSpan.Zero);

        var gone = JsonSerializer.Serialize(new IssueDeleted("octo/repo", 2, 404, at), OpsJson.Options);
        var moved = JsonSerializer.Serialize(new IssueDeleted("octo/repo", 2, 301, at, "octo/elsewhere", 7), OpsJson.Options);

        Assert.Equal("""{"repository":"octo/repo","number":2,"status":404,"last_updated_at":"2024-05-02T10:00:00.0000000Z"}""", gone);
        Assert.Contains("\"moved_to_repository\":\"octo/elsewhere\",\"moved_to_number\":7", moved, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecheckAsync_IssueStillThere_ReportsItsCurrentState()
    {
        var handler = new FakeGitHubHandler(_ => FakeGitHubHandler.Json(GitHubJson.Issue(2, "2024-06-02T10:00:00Z", state: "closed")));

        var observation = await Connector().RecheckAsync(new FakePullContext(handler), Known(2, new DateTimeOffset(2024, 5, 2, 10, 0, 0, TimeSpan.Zero)), Ct);

        Assert.NotNull(observation);
        Assert.Equal(GitHubNames.IssueObservedEvent, observation.EventType);
        Assert.Equal("closed", ((IssueObserved)observation.Payload).State);
    }

    [Fact]
    public async Task RecheckAsync_ServerError_IsAFailureNotATombstone()
    {
        var handler = new FakeGitHubHandler(_ => FakeGitHubHandler.Json("""{"message":"boom"}""", HttpStatusCode.InternalServerError));

        await Assert.ThrowsAsync<HttpRequestException>(async () => await Connector().RecheckAsync(new FakePullContext(handler), Known(2, Now), Ct));
    }

    [Fact]
    public async Task RecheckAsync_QuarantineStreamOrOtherRepository_SendsNothing()
    {
        var handler = new FakeGitHubHandler(_ => throw new InvalidOperationException("no request expected"));
        var other = new IssueObserved("someone/else", 2, "t", "open", [], "mona", Now, Now, "https://github.com/someone/else/issues/2");
        var quarantine = new IssueQuarantined("octo/repo", 2, "title", "missing", "d", new string('a', 64), Now);

        var a = await Connector().RecheckAsync(new FakePullContext(handler), new KnownEntity("issue-someone/else#2", GitHubNames.IssueObservedEvent, "e", Now, JsonSerializer.SerializeToElement(other, OpsJson.Options)), Ct);
        var b = await Connector().RecheckAsync(new FakePullContext(handler), new KnownEntity("quarantine-octo/repo#2", GitHubNames.IssueQuarantinedEvent, "e", Now, JsonSerializer.SerializeToElement(quarantine, OpsJson.Options)), Ct);

        Assert.Null(a);
        Assert.Null(b);
        Assert.Empty(handler.Requests);
    }

    [Theory]
    [InlineData("RateLimitMaxWaitSeconds", "3601")]
    [InlineData("RateLimitMaxWaitSeconds", "-1")]
    [InlineData("RateLimitMaxRetries", "11")]
    [InlineData("RateLimitMaxRetries", "x")]
    public void Bind_RateLimitBoundsOutOfRange_ReportsThem(string key, string value)
    {
        GitHubOptions.Bind(Configuration(("Repository", "octo/repo"), (key, value)), out var errors);

        Assert.Contains($"Ops:Packs:github:{key} is '{value}'", Assert.Single(errors), StringComparison.Ordinal);
    }

    /// <summary>The due time of the next timer the pull starts; fails (instead of hanging) when the pull ends without one.</summary>
    private static async Task<TimeSpan> NextTimerAsync(SignallingTimeProvider time, Task pull)
    {
        var next = time.Timers.Reader.ReadAsync().AsTask();
        if (await Task.WhenAny(next, pull) != next)
        {
            await pull;
            Assert.Fail("The pull ended without starting a wait.");
        }

        return await next;
    }

    internal static KnownEntity Known(int number, DateTimeOffset updatedAt)
    {
        var issue = new IssueObserved("octo/repo", number, "Issue", "open", [], "mona", updatedAt, updatedAt, "https://github.com/octo/repo/issues/" + number);
        return new KnownEntity("issue-octo/repo#" + number, GitHubNames.IssueObservedEvent, "event", updatedAt, JsonSerializer.SerializeToElement(issue, OpsJson.Options));
    }

    private static string Mutate(string item, string mutation)
    {
        var (verb, rest) = (mutation[..mutation.IndexOf(':', StringComparison.Ordinal)], mutation[(mutation.IndexOf(':', StringComparison.Ordinal) + 1)..]);
        if (verb == "item")
        {
            return rest;
        }

        var node = JsonNode.Parse(item)!.AsObject();
        switch (verb)
        {
            case "remove":
                node.Remove(rest);
                break;
            case "bool":
                node[rest] = true;
                break;
            case "null":
                node[rest] = null;
                break;
            default:
                var eq = rest.IndexOf('=', StringComparison.Ordinal);
                node[rest[..eq]] = JsonNode.Parse(rest[(eq + 1)..]);
                break;
        }

        return node.ToJsonString();
    }

    private static IssuesConnector Connector() =>
        new(GitHubOptions.Bind(Configuration(("Repository", "octo/repo")), out _), NullLogger<IssuesConnector>.Instance);

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}
