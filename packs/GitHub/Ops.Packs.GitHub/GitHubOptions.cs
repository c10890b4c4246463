using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Ops.Packs.GitHub;

/// <summary>
/// The pack's configuration, bound from <c>Ops:Packs:github</c> once, at load. A malformed value refuses
/// the pack at load; a missing <c>Repository</c> only makes a sync fail (the host still starts with no set-up).
/// </summary>
/// <param name="BaseUrl">REST API root, for example <c>https://api.github.com</c> or <c>https://ghe.example/api/v3</c>; no trailing slash.</param>
/// <param name="Repository">The repository to sync, <c>owner/repo</c>, or <see langword="null"/> when not configured.</param>
/// <param name="PerPage">Issues per page, 1 to 100.</param>
/// <param name="HtmlBaseUrl">Web root used to build each issue's html_url; no trailing slash.</param>
/// <param name="RateLimitMaxWait">Longest single wait for a rate limit (<c>RateLimitMaxWaitSeconds</c>, 0 to 3600, default 60 s); a longer one fails the page instead.</param>
/// <param name="RateLimitMaxRetries">Retries of one GET after rate-limit answers (<c>RateLimitMaxRetries</c>, 0 to 10, default 3).</param>
/// <param name="State">
/// Which issues the listing asks for (<c>State</c>, issue 20 item 6): <c>all</c> (the default, so a closed issue arrives
/// and the index's state stays current), <c>open</c>, <c>closed</c>, or <c>default</c>, which sends no <c>state</c>
/// parameter (GitHub's own default, open only): what the recorded <c>@octokit/fixtures</c> scenarios were made with.
/// </param>
internal sealed partial record GitHubOptions(Uri BaseUrl, string? Repository, int PerPage, Uri HtmlBaseUrl, TimeSpan RateLimitMaxWait, int RateLimitMaxRetries, string State = GitHubOptions.DefaultState)
{
    public const string DefaultBaseUrl = "https://api.github.com";
    public const string DefaultHtmlBaseUrl = "https://github.com";
    public const int DefaultPerPage = 3;
    public const int DefaultRateLimitMaxWaitSeconds = 60;
    public const int DefaultRateLimitMaxRetries = 3;
    public const string DefaultState = "all";

    /// <summary>The <see cref="State"/> that sends no <c>state</c> parameter (GitHub's default, open only).</summary>
    public const string SourceDefaultState = "default";

    /// <summary>Redirects (301, 302, 307, 308) the re-fetch of one issue follows at most, on BaseUrl's origin only (issue 20 item 6).</summary>
    public const int MaxMoves = 3;
    private const string Section = "Ops:Packs:github";

    /// <summary>
    /// The first page: <c>GET {BaseUrl}/repos/{owner}/{repo}/issues?per_page=N&amp;state=S</c> (S is <see cref="State"/>;
    /// no <c>state</c> parameter when it is <c>default</c>), with <c>&amp;since=W</c> when a watermark is stored: GitHub
    /// then lists only issues updated at or after W.
    /// </summary>
    /// <param name="since">The stored watermark, an ISO 8601 instant, or <see langword="null"/> for a full listing.</param>
    public Uri FirstPageUrl(string? since = null)
    {
        var (owner, repo) = RequireRepository();
        var url = string.Create(
            CultureInfo.InvariantCulture,
            $"{BaseUrl.AbsoluteUri.TrimEnd('/')}/repos/{Uri.EscapeDataString(owner)}/{Uri.EscapeDataString(repo)}/issues?per_page={PerPage}{(State == SourceDefaultState ? string.Empty : "&state=" + State)}");
        return new Uri(since is null ? url : url + "&since=" + Uri.EscapeDataString(since));
    }

    /// <summary>One issue: <c>GET {BaseUrl}/repos/{owner}/{repo}/issues/{number}</c> (the tombstone sweep's re-fetch).</summary>
    public Uri IssueUrl(int number)
    {
        var (owner, repo) = RequireRepository();
        return new Uri(string.Create(
            CultureInfo.InvariantCulture,
            $"{BaseUrl.AbsoluteUri.TrimEnd('/')}/repos/{Uri.EscapeDataString(owner)}/{Uri.EscapeDataString(repo)}/issues/{number}"));
    }

    /// <summary>The configured repository split in owner and name.</summary>
    /// <exception cref="InvalidOperationException">No repository is configured.</exception>
    public (string Owner, string Repo) RequireRepository()
    {
        if (Repository is null)
        {
            throw new InvalidOperationException($"{Section}:Repository is not set; set it to 'owner/repo' (environment variable Ops__Packs__github__Repository). Nothing was fetched.");
        }

        var slash = Repository.IndexOf('/', StringComparison.Ordinal);
        return (Repository[..slash], Repository[(slash + 1)..]);
    }

    /// <summary>The web page of an issue.</summary>
    public string HtmlUrlOf(int number)
    {
        var (owner, repo) = RequireRepository();
        return string.Create(CultureInfo.InvariantCulture, $"{HtmlBaseUrl.AbsoluteUri.TrimEnd('/')}/{owner}/{repo}/issues/{number}");
    }

    /// <summary>Binds and validates the section; returns every problem found, each naming its key.</summary>
    public static GitHubOptions Bind(IConfiguration section, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        var baseUrl = ParseRoot(section, "BaseUrl", DefaultBaseUrl, problems);
        var htmlBaseUrl = ParseRoot(section, "HtmlBaseUrl", DefaultHtmlBaseUrl, problems);

        var repository = section["Repository"];
        if (string.IsNullOrWhiteSpace(repository))
        {
            repository = null;
        }
        else if (!RepositoryPattern().IsMatch(repository) || repository.Split('/').Any(part => part.All(c => c == '.')))
        {
            problems.Add($"{Section}:Repository is '{repository}'; it must be 'owner/repo' (letters, digits, '-', '_' and '.', neither part only dots).");
            repository = null;
        }

        var perPage = DefaultPerPage;
        if (section["PerPage"] is { Length: > 0 } perPageText
            && (!int.TryParse(perPageText, NumberStyles.None, CultureInfo.InvariantCulture, out perPage) || perPage is < 1 or > 100))
        {
            problems.Add($"{Section}:PerPage is '{perPageText}'; it must be a whole number from 1 to 100 (GitHub's limit).");
            perPage = DefaultPerPage;
        }

        var maxWait = Whole(section, "RateLimitMaxWaitSeconds", DefaultRateLimitMaxWaitSeconds, 0, 3600, problems);
        var maxRetries = Whole(section, "RateLimitMaxRetries", DefaultRateLimitMaxRetries, 0, 10, problems);
        var state = DefaultState;
        if (section["State"] is { Length: > 0 } stateText)
        {
            if (stateText is "all" or "open" or "closed" or SourceDefaultState)
            {
                state = stateText;
            }
            else
            {
                problems.Add($"{Section}:State is '{stateText}'; it must be all, open, closed, or default (no state parameter: GitHub's default, open only).");
            }
        }

        errors = problems;
        return new GitHubOptions(baseUrl, repository, perPage, htmlBaseUrl, TimeSpan.FromSeconds(maxWait), maxRetries, state);
    }

    private static int Whole(IConfiguration section, string key, int fallback, int min, int max, List<string> problems)
    {
        if (section[key] is not { Length: > 0 } text)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{Section}:{key} is '{text}'; it must be a whole number from {min} to {max}."));
            return fallback;
        }

        return value;
    }

    private static Uri ParseRoot(IConfiguration section, string key, string fallback, List<string> problems)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return new Uri(fallback);
        }

        if (!Uri.TryCreate(text.TrimEnd('/'), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || !string.IsNullOrEmpty(uri.Query)
            || !string.IsNullOrEmpty(uri.Fragment)
            || !string.IsNullOrEmpty(uri.UserInfo))
        {
            problems.Add($"{Section}:{key} is '{text}'; it must be an absolute http(s) URL without user info, query or fragment, for example {fallback}.");
            return new Uri(fallback);
        }

        return uri;
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex RepositoryPattern();
}
