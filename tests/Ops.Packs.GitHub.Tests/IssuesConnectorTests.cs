using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Packs.GitHub.Contracts;

namespace Ops.Packs.GitHub.Tests;

/// <summary>The connector against a scripted GitHub: request shape, pagination, refusals and errors.</summary>
public sealed class IssuesConnectorTests
{
    private const string Api = "https://api.github.com";

    private static CancellationToken Ct => CancellationToken.None;

    [Fact]
    public async Task PullAsync_FirstPage_SendsRecordedRequestAndReportsObservations()
    {
        var handler = new FakeGitHubHandler(_ => FakeGitHubHandler.Json(
            "[" + Issue(2, "2024-05-02T10:00:00Z", labels: """[{"name":"bug"},{"name":"Area: API"}]""") + "," + Issue(1, "2024-05-01T10:00:00Z", closedAt: "2024-05-01T10:00:00Z", state: "closed") + "]",
            headers: ("Link", $"<{Api}/repositories/1000/issues?per_page=3&page=2>; rel=\"next\", <{Api}/repositories/1000/issues?per_page=3&page=5>; rel=\"last\"")));
        var context = new FakePullContext(handler);

        var page = await Connector().PullAsync(context, Ct);

        var request = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Get, request.Method);
        Assert.Equal($"{Api}/repos/octo/repo/issues?per_page=3&state=all", request.RequestUri!.AbsoluteUri);
        Assert.Equal("application/vnd.github.v3+json", Assert.Single(request.Headers.Accept).MediaType);
        Assert.Null(request.Headers.Authorization);
        Assert.Equal((GitHubNames.TokenSecretId, new Uri(Api), "token"), Assert.Single(context.Issued));
        Assert.Equal($"{Api}/repositories/1000/issues?per_page=3&page=2", page.NextCursor);
        Assert.Equal("2024-05-02T10:00:00Z", page.Watermark);
        Assert.Equal(2, page.Observations.Count);
        var first = page.Observations[0];
        Assert.Equal(GitHubNames.IssueObservedEvent, first.EventType);
        Assert.Equal("issue-octo/repo#2", first.StreamKey);
        Assert.Equal("octo/repo#2", first.SourceNativeId);
        Assert.Equal(new DateTimeOffset(2024, 5, 2, 10, 0, 0, TimeSpan.Zero), first.OccurredAt);
        var issue = Assert.IsType<IssueObserved>(first.Payload);
        Assert.Equal(["Area: API", "bug"], issue.Labels);
        Assert.Equal("https://github.com/octo/repo/issues/2", issue.HtmlUrl);
        Assert.Equal("mona", issue.AuthorLogin);
        Assert.Null(issue.ClosedAt);
        var closed = Assert.IsType<IssueObserved>(page.Observations[1].Payload);
        Assert.Equal("closed", closed.State);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero), closed.ClosedAt);
    }

    [Fact]
    public async Task PullAsync_StoredCursor_FollowsItExactlyAndKeepsTheGreaterWatermark()
    {
        var cursor = $"{Api}/repositories/1000/issues?per_page=3&page=5";
        var handler = new FakeGitHubHandler(_ => FakeGitHubHandler.Json("[" + Issue(1, "2024-05-01T10:00:00Z") + "]"));

        var page = await Connector().PullAsync(new FakePullContext(handler, cursor, "2024-06-01T00:00:00Z"), Ct);

        Assert.Equal(cursor, Assert.Single(handler.Requests).RequestUri!.AbsoluteUri);
        Assert.Null(page.NextCursor);
        Assert.Equal("2024-06-01T00:00:00Z", page.Watermark);
        Assert.Single(page.Observations);
    }

    [Fact]
    public async Task PullAsync_PullRequestInTheList_IsSkipped()
    {
        var pullRequest = Issue(3, "2024-05-03T10:00:00Z").TrimEnd('}') + ""","pull_request":{"url":"https://api.github.com/repos/octo/repo/pulls/3"}}""";
        var handler = new FakeGitHubHandler(_ => FakeGitHubHandler.Json("[" + pullRequest + "," + Issue(1, "2024-05-01T10:00:00Z") + "]"));

        var page = await Connector().PullAsync(new FakePullContext(handler), Ct);

        Assert.Equal("octo/repo#1", Assert.Single(page.Observations).SourceNativeId);
        Assert.Equal("2024-05-01T10:00:00Z", page.Watermark);
    }

    [Fact]
    public async Task PullAsync_NextLinkToAnotherOrigin_RefusesThePage()
    {
        var handler = new FakeGitHubHandler(_ => FakeGitHubHandler.Json(
            "[" + Issue(1, "2024-05-01T10:00:00Z") + "]",
            headers: ("Link", "<https://evil.example/repositories/1000/issues?page=2>; rel=\"next\"")));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await Connector().PullAsync(new FakePullContext(handler), Ct));

        Assert.Contains("Refusing to follow next link 'https://evil.example/repositories/1000/issues'", error.Message, StringComparison.Ordinal);
        Assert.Contains("https://api.github.com", error.Message, StringComparison.Ordinal);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task PullAsync_StoredCursorOnAnotherOrigin_RefusesBeforeSendingAnything()
    {
        var handler = new FakeGitHubHandler(_ => throw new InvalidOperationException("no request expected"));
        var context = new FakePullContext(handler, cursor: "http://api.github.com/repositories/1000/issues?page=2");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await Connector().PullAsync(context, Ct));

        Assert.Contains("origin http://api.github.com is not the configured BaseUrl's origin https://api.github.com", error.Message, StringComparison.Ordinal);
        Assert.Empty(handler.Requests);
        Assert.Empty(context.Issued);
    }

    [Fact]
    public async Task PullAsync_RateLimitExhaustedResetPassed_RetriesToTheBoundThenReportsLimitAndReset()
    {
        var handler = new FakeGitHubHandler(_ => FakeGitHubHandler.Json(
            """{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest"}""",
            HttpStatusCode.Forbidden,
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-resource", "core"),
            ("x-ratelimit-reset", "1717236000")));

        var error = await Assert.ThrowsAsync<HttpRequestException>(async () => await Connector().PullAsync(new FakePullContext(handler), Ct));

        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Equal(
            "GitHub answered 403 Forbidden to GET https://api.github.com/repos/octo/repo/issues: \"API rate limit exceeded for user ID 1.\". "
            + "Rate limit exhausted: x-ratelimit-limit 5000, x-ratelimit-remaining 0, x-ratelimit-resource core, x-ratelimit-reset 1717236000 (2024-06-01T10:00:00Z). "
            + "Gave up after 3 retries (RateLimitMaxRetries 3); sync again after the reset.",
            error.Message);
        Assert.Equal(4, handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.Equal(HttpMethod.Get, r.Method));
    }

    [Fact]
    public async Task PullAsync_NotFound_ReportsStatusAndGitHubMessage()
    {
        var handler = new FakeGitHubHandler(_ => FakeGitHubHandler.Json("""{"message":"Not Found"}""", HttpStatusCode.NotFound));

        var error = await Assert.ThrowsAsync<HttpRequestException>(async () => await Connector().PullAsync(new FakePullContext(handler), Ct));

        Assert.Equal("GitHub answered 404 NotFound to GET https://api.github.com/repos/octo/repo/issues: \"Not Found\".", error.Message);
    }

    [Fact]
    public async Task PullAsync_MovedPermanently_ReportsWhereWithoutFollowing()
    {
        var handler = new FakeGitHubHandler(_ =>
        {
            var response = FakeGitHubHandler.Json("""{"message":"Moved Permanently","url":"https://api.github.com/repositories/42/issues?per_page=3"}""", HttpStatusCode.MovedPermanently);
            response.Headers.Location = new Uri("https://api.github.com/repositories/42/issues?per_page=3");
            return response;
        });

        var error = await Assert.ThrowsAsync<HttpRequestException>(async () => await Connector().PullAsync(new FakePullContext(handler), Ct));

        Assert.Equal(
            "GitHub answered 301 MovedPermanently to GET https://api.github.com/repos/octo/repo/issues: \"Moved Permanently\". "
            + "Redirects are not followed; it points to https://api.github.com/repositories/42/issues (repository renamed or moved? update Ops:Packs:github:Repository or BaseUrl).",
            error.Message);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task PullAsync_PageThatIsNotAnArray_FailsWithSchemaDrift()
    {
        var handler = new FakeGitHubHandler(_ => FakeGitHubHandler.Json("""{"message":"x"}"""));

        var error = await Assert.ThrowsAsync<JsonException>(async () => await Connector().PullAsync(new FakePullContext(handler), Ct));

        Assert.Contains("GitHub answered a JSON Object where a JSON array of issues was expected", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NextLink_HeaderWithPrevNextLastFirst_ReturnsNextTargetExactly()
    {
        const string header = "<http://127.0.0.1:4000/api.github.com/abc/repositories/1000/issues?per_page=3&page=1>; rel=\"prev\", <http://127.0.0.1:4000/api.github.com/abc/repositories/1000/issues?per_page=3&page=3>; rel=\"next\", <http://127.0.0.1:4000/api.github.com/abc/repositories/1000/issues?per_page=3&page=5>; rel=\"last\", <http://127.0.0.1:4000/api.github.com/abc/repositories/1000/issues?per_page=3&page=1>; rel=\"first\"";

        Assert.Equal("http://127.0.0.1:4000/api.github.com/abc/repositories/1000/issues?per_page=3&page=3", GitHubLinks.NextLink(header));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("<https://api.github.com/repositories/1/issues?page=4>; rel=\"prev\", <https://api.github.com/repositories/1/issues?page=1>; rel=\"first\"")]
    [InlineData("<https://api.github.com/x>; rel=\"nextish\"")]
    public void NextLink_NoNextRelation_ReturnsNull(string? header)
    {
        Assert.Null(GitHubLinks.NextLink(header));
    }

    [Fact]
    public void NextLink_UnquotedAndMultiValuedRel_IsRecognised()
    {
        Assert.Equal("https://api.github.com/b", GitHubLinks.NextLink("<https://api.github.com/a>; rel=last, <https://api.github.com/b>; title=\"x\"; rel=\"prefetch next\""));
    }

    [Theory]
    [InlineData("https://API.github.com/repositories/1/issues?page=2", "https://api.github.com")]
    [InlineData("https://api.github.com:443/repositories/1/issues?page=2", "https://api.github.com")]
    [InlineData("http://127.0.0.1:4000/api.github.com/abc/repositories/1000/issues?page=2", "http://127.0.0.1:4000/api.github.com/abc")]
    public void RequireSameOrigin_LinkOnBaseOrigin_ReturnsIt(string link, string baseUrl)
    {
        Assert.Equal(new Uri(link), GitHubLinks.RequireSameOrigin(link, new Uri(baseUrl)));
    }

    [Theory]
    [InlineData("https://evil.example/repositories/1/issues?page=2", "is not the configured BaseUrl's origin")]
    [InlineData("http://api.github.com/repositories/1/issues?page=2", "is not the configured BaseUrl's origin")]
    [InlineData("https://api.github.com:8443/repositories/1/issues?page=2", "is not the configured BaseUrl's origin")]
    [InlineData("https://api.github.com.evil.example/repositories/1/issues?page=2", "is not the configured BaseUrl's origin")]
    [InlineData("/repositories/1/issues?page=2", "not an absolute http(s) URL")]
    [InlineData("ftp://api.github.com/x", "not an absolute http(s) URL")]
    [InlineData("https://user:pass@api.github.com/x", "without user info")]
    public void RequireSameOrigin_LinkElsewhere_Throws(string link, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => GitHubLinks.RequireSameOrigin(link, new Uri(Api)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("Refusing to follow next link", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_Defaults_AreTheRecordedScenarioShape_ExceptStateAll()
    {
        var options = GitHubOptions.Bind(Configuration(("Repository", "octokit-fixture-org/paginate-issues")), out var errors);
        var recorded = GitHubOptions.Bind(Configuration(("Repository", "octokit-fixture-org/paginate-issues"), ("State", "default")), out var recordedErrors);

        Assert.Empty(errors);
        Assert.Empty(recordedErrors);
        Assert.Equal(new Uri("https://api.github.com"), options.BaseUrl);
        Assert.Equal(3, options.PerPage);
        // Issue 20 item 6: every state by default, so closed issues arrive; "default" asks as the recording did.
        Assert.Equal("https://api.github.com/repos/octokit-fixture-org/paginate-issues/issues?per_page=3&state=all", options.FirstPageUrl().AbsoluteUri);
        Assert.Equal("https://api.github.com/repos/octokit-fixture-org/paginate-issues/issues?per_page=3", recorded.FirstPageUrl().AbsoluteUri);
        Assert.Equal("https://github.com/octokit-fixture-org/paginate-issues/issues/4", options.HtmlUrlOf(4));
    }

    [Theory]
    [InlineData("open", "&state=open")]
    [InlineData("closed", "&state=closed")]
    [InlineData("all", "&state=all")]
    public void Bind_State_IsSentAsConfigured(string state, string expected)
    {
        var options = GitHubOptions.Bind(Configuration(("Repository", "octo/repo"), ("State", state)), out var errors);

        Assert.Empty(errors);
        Assert.Equal("https://api.github.com/repos/octo/repo/issues?per_page=3" + expected, options.FirstPageUrl().AbsoluteUri);
    }

    [Fact]
    public void Bind_UnknownState_IsReportedNamingTheKey()
    {
        GitHubOptions.Bind(Configuration(("Repository", "octo/repo"), ("State", "merged")), out var errors);

        Assert.Contains("Ops:Packs:github:State is 'merged'", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../..", "Repository is '../..'")]
    [InlineData("octo/repo/extra", "Repository is 'octo/repo/extra'")]
    [InlineData("octo", "Repository is 'octo'")]
    public void Bind_MalformedRepository_ReportsIt(string repository, string expected)
    {
        GitHubOptions.Bind(Configuration(("Repository", repository)), out var errors);

        Assert.Contains(expected, Assert.Single(errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("101")]
    [InlineData("-1")]
    [InlineData("three")]
    public void Bind_PerPageOutOfRange_ReportsIt(string perPage)
    {
        GitHubOptions.Bind(Configuration(("Repository", "octo/repo"), ("PerPage", perPage)), out var errors);

        Assert.Contains($"Ops:Packs:github:PerPage is '{perPage}'", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Watermark_StoredIsNewer_KeepsStored()
    {
        Assert.Equal("2030-01-01T00:00:00Z", IssuesConnector.Watermark("2030-01-01T00:00:00Z", []));
        Assert.Null(IssuesConnector.Watermark(null, []));
    }

    private static IssuesConnector Connector(int perPage = 3) =>
        new(GitHubOptions.Bind(Configuration(("Repository", "octo/repo"), ("PerPage", perPage.ToString(System.Globalization.CultureInfo.InvariantCulture))), out _), NullLogger<IssuesConnector>.Instance);

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static string Issue(int number, string updatedAt, string labels = "[]", string state = "open", string? closedAt = null) =>
        $$"""{"url":"https://api.github.com/repos/octo/repo/issues/{{number}}","id":1000,"number":{{number}},"title":"Issue {{number}}","user":{"login":"mona","id":1},"labels":{{labels}},"state":"{{state}}","created_at":"2024-01-01T00:00:00Z","updated_at":"{{updatedAt}}","closed_at":{{(closedAt is null ? "null" : "\"" + closedAt + "\"")}},"html_url":"https://github.com/octo/repo/issues/{{number}}"}""";
}
