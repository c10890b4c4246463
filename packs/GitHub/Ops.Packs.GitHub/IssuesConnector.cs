using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Ops.Core.Connectors;
using Ops.Core.Identity;
using Ops.Core.Packs;
using Ops.Packs.GitHub.Contracts;

namespace Ops.Packs.GitHub;

/// <summary>
/// <c>github.issues</c>: lists the configured repository's issues page by page
/// (<c>GET {BaseUrl}/repos/{owner}/{repo}/issues?per_page=N</c>, plus <c>&amp;since=W</c> when a watermark is stored,
/// then each <c>Link rel="next"</c> URL on the same origin) and reports each one as an <see cref="IssueObserved"/>.
/// The cursor is the next page's URL; the watermark is the greatest <c>updated_at</c> seen (GitHub's <c>since</c> is
/// inclusive, so the issue at the watermark is listed again and dedupes). An item that no longer fits the registered
/// shape is reported as an <see cref="IssueQuarantined"/>; after a full sync the kernel's sweep re-fetches issues the
/// listing did not show, and a 404 or 410 becomes an <see cref="IssueDeleted"/> tombstone. Rate limits are waited
/// out within bounds (<see cref="GitHubRateLimits"/>). Ingress only: it sends nothing but GETs.
/// </summary>
internal sealed class IssuesConnector(GitHubOptions options, ILogger<IssuesConnector> logger) : IRecheckingConnector
{
    public const string MediaType = "application/vnd.github.v3+json";
    public const string UserAgent = "AlignTrue-Ops-GitHub-Pack/1.0";

    public string TombstoneEventType => GitHubNames.IssueDeletedEvent;

    public async ValueTask<ConnectorPage> PullAsync(ConnectorPullContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var url = context.Cursor is { } cursor ? GitHubLinks.RequireSameOrigin(cursor, options.BaseUrl) : options.FirstPageUrl(context.Watermark);
        using var response = await GetAsync(context, url, cancellationToken);
        ParsedPage parsed;
        await using (var stream = await response.Content.ReadAsStreamAsync(cancellationToken))
        {
            using var document = await JsonDocument.ParseAsync(stream, default, cancellationToken);
            parsed = GitHubIssueParser.Parse(document.RootElement, options);
        }

        var next = GitHubLinks.NextLink(response);
        if (next is not null)
        {
            GitHubLinks.RequireSameOrigin(next, options.BaseUrl);
        }

        var watermark = Watermark(context.Watermark, parsed.Issues);
        GitHubLog.PagePulled(logger, url.GetLeftPart(UriPartial.Path), parsed.Issues.Count, parsed.SkippedPullRequests, next is null);
        var observations = parsed.Issues.Select(ToObservation).Concat(parsed.Quarantined.Select(ToObservation)).ToList();
        return new ConnectorPage(observations, next, watermark);
    }

    public async ValueTask<Observation?> RecheckAsync(ConnectorPullContext context, KnownEntity entity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(entity);
        if (entity.LastEventType != GitHubNames.IssueObservedEvent
            || entity.LastPayload.Deserialize<IssueObserved>(OpsJson.Options) is not { } last
            || last.Repository != options.Repository)
        {
            // Quarantine streams, and issues of a repository no longer configured, are not this sweep's to judge.
            return null;
        }

        var url = options.IssueUrl(last.Number);
        using var response = await GetAsync(context, url, cancellationToken, goneIsAnswer: true);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            var nativeId = IssueObserved.NativeIdOf(last.Repository, last.Number);
            return new Observation(GitHubNames.IssueDeletedEvent, "issue-" + nativeId, nativeId, entity.LastOccurredAt, new IssueDeleted(last.Repository, last.Number, (int)response.StatusCode, entity.LastOccurredAt));
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var document = await JsonDocument.ParseAsync(stream, default, cancellationToken);
        return GitHubIssueParser.ParseItem(document.RootElement, options) switch
        {
            { Issue: { } issue } => ToObservation(issue),
            { Quarantined: { } quarantined } => ToObservation(quarantined),
            _ => null,
        };
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

    /// <summary>Stream key of a quarantined item: the issue's when it has a usable number, else the item's hash.</summary>
    internal static string QuarantineStreamKey(IssueQuarantined item) =>
        "quarantine-" + (item.Number is { } number ? IssueObserved.NativeIdOf(item.Repository, number) : item.Repository + "@" + item.ItemHash[..16]);

    private static Observation ToObservation(IssueObserved issue)
    {
        var nativeId = IssueObserved.NativeIdOf(issue.Repository, issue.Number);
        return new Observation(GitHubNames.IssueObservedEvent, "issue-" + nativeId, nativeId, issue.UpdatedAt, issue);
    }

    private Observation ToObservation(IssueQuarantined item)
    {
        GitHubLog.Quarantined(logger, item.Repository, item.Field, item.Problem, item.Detail);
        // occurred_at must come from the item (a replay gives the same id); the epoch when it has no usable time.
        return new Observation(GitHubNames.IssueQuarantinedEvent, QuarantineStreamKey(item), item.Repository + "@" + item.ItemHash, item.UpdatedAt ?? DateTimeOffset.UnixEpoch, item);
    }

    private async Task<HttpResponseMessage> GetAsync(ConnectorPullContext context, Uri url, CancellationToken cancellationToken, bool goneIsAnswer = false)
    {
        var client = await context.CreateHttpClientAsync(GitHubNames.TokenSecretId, options.BaseUrl, "token", cancellationToken);
        var (response, retries) = await GitHubRateLimits.GetAsync(
            client,
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.Accept.ParseAdd(MediaType);
                request.Headers.UserAgent.ParseAdd(UserAgent);
                return request;
            },
            options,
            context.Time,
            logger,
            cancellationToken);
        if (response.IsSuccessStatusCode || (goneIsAnswer && response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone))
        {
            return response;
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw GitHubErrors.Describe(HttpMethod.Get, url, response.StatusCode, response.Headers, body, GitHubRateLimits.GiveUpNote(response, retries, options, context.Time.GetUtcNow()));
        }
    }
}
