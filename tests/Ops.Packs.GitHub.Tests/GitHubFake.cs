using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Web;

namespace Ops.Packs.GitHub.Tests;

/// <summary>One issue as the scripted GitHub holds it.</summary>
internal sealed record FakeIssue(int Number, DateTimeOffset UpdatedAt, string Title = "", string State = "open")
{
    public string Json => GitHubJson.Issue(Number, UpdatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), Title, State);
}

/// <summary>
/// A repository <c>octo/repo</c> behind <see cref="ScriptedGitHubServer"/> that answers as GitHub does: the list newest
/// number first, <c>state</c> filters it (no parameter lists open issues only, as GitHub does), <c>since</c> keeps issues
/// updated at or after it, Link pagination; <c>/issues/{n}</c> answers the issue or 404 once it is removed. Raw items can
/// be added to the listing (drift), a page can be made to fail once, and <see cref="Paths"/> answers chosen paths first
/// (a transferred issue's 301, the issue where it went, redirect loops).
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

    /// <summary>Answers by exact path, before anything else: status, JSON body and headers.</summary>
    public ConcurrentDictionary<string, (int Status, string Body, (string Name, string Value)[] Headers)> Paths { get; } = new(StringComparer.Ordinal);

    /// <summary>Makes <paramref name="path"/> answer <paramref name="status"/> with a Location header.</summary>
    public void Redirect(string path, string location, int status = 301) =>
        Paths[path] = (status, $$"""{"message":"Moved Permanently","url":"{{location}}"}""", [("Location", location)]);

    public Dictionary<string, string?> Settings(string token = "t0ken") => new()
    {
        ["Ops:Packs:github:BaseUrl"] = Server.Root.AbsoluteUri.TrimEnd('/'),
        ["Ops:Packs:github:Repository"] = "octo/repo",
        ["Ops:Packs:github:PerPage"] = PerPage.ToString(CultureInfo.InvariantCulture),
        ["Ops:Secrets:github_token"] = token,
    };

    public void Put(int number, DateTimeOffset updatedAt, string title = "", string state = "open") => Issues[number] = new FakeIssue(number, updatedAt, title, state);

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    private (int, string, (string, string)[]) Answer(HttpListenerRequest request)
    {
        var path = request.Url!.AbsolutePath;
        if (Paths.TryGetValue(path, out var scripted))
        {
            return scripted;
        }

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
        var state = query["state"] ?? "open";
        var items = Issues.Values.Where(i => (since is null || i.UpdatedAt >= since) && (state == "all" || i.State == state)).OrderByDescending(i => i.Number).Select(i => i.Json).Concat(RawItems).ToList();
        var pageItems = items.Skip((page - 1) * PerPage).Take(PerPage).ToList();
        var headers = new List<(string, string)>();
        if (page * PerPage < items.Count)
        {
            var next = $"{Server.Root.AbsoluteUri}repos/octo/repo/issues?per_page={PerPage}{(query["state"] is { } st ? "&state=" + st : string.Empty)}{(query["since"] is { } w ? "&since=" + Uri.EscapeDataString(w) : string.Empty)}&page={page + 1}";
            headers.Add(("Link", $"<{next}>; rel=\"next\""));
        }

        return (200, GitHubJson.Array(pageItems), [.. headers]);
    }
}
