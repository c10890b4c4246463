using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Ops.Core.Packs;
using Ops.Packs.GitHub.Contracts;

namespace Ops.Packs.GitHub;

/// <summary>
/// <c>github.issues</c>: lists the configured repository's issues page by page
/// (<c>GET {BaseUrl}/repos/{owner}/{repo}/issues?per_page=N</c>, then each <c>Link rel="next"</c> URL on the
/// same origin) and reports each one as an <see cref="IssueObserved"/>. The cursor is the next page's URL;
/// the watermark is the greatest <c>updated_at</c> seen. Ingress only: it sends nothing but GETs.
/// </summary>
internal sealed class IssuesConnector(GitHubOptions options, ILogger<IssuesConnector> logger) : IConnector
{
    public const string MediaType = "application/vnd.github.v3+json";
    public const string UserAgent = "AlignTrue-Ops-GitHub-Pack/1.0";

    public async ValueTask<ConnectorPage> PullAsync(ConnectorPullContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var url = context.Cursor is { } cursor ? GitHubLinks.RequireSameOrigin(cursor, options.BaseUrl) : options.FirstPageUrl();
        var client = await context.CreateHttpClientAsync(GitHubNames.TokenSecretId, options.BaseUrl, "token", cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd(MediaType);
        request.Headers.UserAgent.ParseAdd(UserAgent);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw GitHubErrors.Describe(request.Method, url, response.StatusCode, response.Headers, body);
        }

        IReadOnlyList<IssueObserved> issues;
        int skipped;
        await using (var stream = await response.Content.ReadAsStreamAsync(cancellationToken))
        {
            using var document = await JsonDocument.ParseAsync(stream, default, cancellationToken);
            issues = GitHubIssueParser.Parse(document.RootElement, options, out skipped);
        }

        var next = GitHubLinks.NextLink(response);
        if (next is not null)
        {
            GitHubLinks.RequireSameOrigin(next, options.BaseUrl);
        }

        var watermark = Watermark(context.Watermark, issues);
        GitHubLog.PagePulled(logger, url.GetLeftPart(UriPartial.Path), issues.Count, skipped, next is null);
        var observations = issues
            .Select(issue => new Observation(
                GitHubNames.IssueObservedEvent,
                "issue-" + IssueObserved.NativeIdOf(issue.Repository, issue.Number),
                IssueObserved.NativeIdOf(issue.Repository, issue.Number),
                issue.UpdatedAt,
                issue))
            .ToList();
        return new ConnectorPage(observations, next, watermark);
    }

    /// <summary>The greatest of the stored watermark and the page's <c>updated_at</c> values, as GitHub writes instants.</summary>
    internal static string? Watermark(string? stored, IEnumerable<IssueObserved> issues)
    {
        DateTimeOffset? max = DateTimeOffset.TryParse(stored, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed
            : null;
        foreach (var issue in issues)
        {
            if (max is null || issue.UpdatedAt > max)
            {
                max = issue.UpdatedAt;
            }
        }

        return max?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? stored;
    }
}
