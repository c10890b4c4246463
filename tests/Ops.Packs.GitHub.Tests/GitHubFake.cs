using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Web;

namespace Ops.Packs.GitHub.Tests;

/// <summary>One issue as the scripted GitHub holds it.</summary>
internal sealed record FakeIssue(int Number, DateTimeOffset UpdatedAt, string Title = "")
{
    public string Json => GitHubJson.Issue(Number, UpdatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), Title);
}

/// <summary>
/// A repository <c>octo/repo</c> behind <see cref="ScriptedGitHubServer"/> that answers as GitHub does: the list newest
/// number first, <c>since</c> keeps issues updated at or after it, Link pagination; <c>/issues/{n}</c> answers the
/// issue or 404 once it is removed. Raw items can be added to the listing (drift), and a page can be made to fail once.
/// </summary>
internal sealed class FakeRepository : IAsyncDisposable
{
    public FakeRepository(int perPage = 3)
    {
        PerPage = perPage;
        Server.Script = Answer;
    }

    public ScriptedGitHubServer Server { get; } = new();

    public int PerPage { get; }

    public ConcurrentDictionary<int, FakeIssue> Issues { get; } = new();

    /// <summary>Raw JSON items listed after the issues (schema drift), regardless of since.</summary>
    public List<string> RawItems { get; } = [];

    /// <summary>Answer 500 to this list page (1-based) once, then clear it.</summary>
    public int? FailPageOnce { get; set; }

    /// <summary>Called before answering a list page (1-based): a test's hook into the middle of a sync.</summary>
    public Action<int>? BeforePage { get; set; }

    public IReadOnlyList<string> ListRequests => [.. Server.Requests.Where(r => r.Contains("/issues?", StringComparison.Ordinal))];

    public IReadOnlyList<string> IssueRequests => [.. Server.Requests.Where(r => r.Contains("/issues/", StringComparison.Ordinal))];

    public Dictionary<string, string?> Settings(string token = "t0ken") => new()
    {
        ["Ops:Packs:github:BaseUrl"] = Server.Root.AbsoluteUri.TrimEnd('/'),
        ["Ops:Packs:github:Repository"] = "octo/repo",
        ["Ops:Packs:github:PerPage"] = PerPage.ToString(CultureInfo.InvariantCulture),
        ["Ops:Secrets:github_token"] = token,
    };

    public void Put(int number, DateTimeOffset updatedAt, string title = "") => Issues[number] = new FakeIssue(number, updatedAt, title);

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    private (int, string, (string, string)[]) Answer(HttpListenerRequest request)
    {
        var path = request.Url!.AbsolutePath;
        if (path.StartsWith("/repos/octo/repo/issues/", StringComparison.Ordinal))
        {
            var number = int.Parse(path["/repos/octo/repo/issues/".Length..], CultureInfo.InvariantCulture);
            return Issues.TryGetValue(number, out var issue) ? (200, issue.Json, []) : (404, """{"message":"Not Found"}""", []);
        }

        if (path != "/repos/octo/repo/issues")
        {
            return (404, """{"message":"Not Found"}""", []);
        }

        var query = HttpUtility.ParseQueryString(request.Url.Query);
        var page = int.Parse(query["page"] ?? "1", CultureInfo.InvariantCulture);
        BeforePage?.Invoke(page);
        if (FailPageOnce == page)
        {
            FailPageOnce = null;
            return (500, """{"message":"Server Error"}""", []);
        }

        var since = query["since"] is { } s ? DateTimeOffset.Parse(s, CultureInfo.InvariantCulture) : (DateTimeOffset?)null;
        var items = Issues.Values.Where(i => since is null || i.UpdatedAt >= since).OrderByDescending(i => i.Number).Select(i => i.Json).Concat(RawItems).ToList();
        var pageItems = items.Skip((page - 1) * PerPage).Take(PerPage).ToList();
        var headers = new List<(string, string)>();
        if (page * PerPage < items.Count)
        {
            var next = $"{Server.Root.AbsoluteUri}repos/octo/repo/issues?per_page={PerPage}{(query["since"] is { } w ? "&since=" + Uri.EscapeDataString(w) : string.Empty)}&page={page + 1}";
            headers.Add(("Link", $"<{next}>; rel=\"next\""));
        }

        return (200, GitHubJson.Array(pageItems), [.. headers]);
    }
}
