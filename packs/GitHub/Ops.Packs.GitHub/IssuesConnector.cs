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
/// (<c>GET {BaseUrl}/repos/{owner}/{repo}/issues?per_page=N&amp;state=all</c>, the state as configured, plus
/// <c>&amp;since=W</c> when a watermark is stored, then each <c>Link rel="next"</c> URL on the same origin) and reports
/// each one, open or closed, as an <see cref="IssueObserved"/>.
/// The cursor is the next page's URL; the watermark is the greatest <c>updated_at</c> seen (GitHub's <c>since</c> is
/// inclusive, so the issue at the watermark is listed again and dedupes). An item that no longer fits the registered
/// shape is reported as an <see cref="IssueQuarantined"/>; after a full sync the kernel's sweep re-fetches issues the
/// listing did not show, and a 404 or 410 becomes an <see cref="IssueDeleted"/> tombstone. A transferred issue
/// (GitHub answers its re-fetch with 301 and the new issue's URL) is followed, at most <see cref="GitHubOptions.MaxMoves"/>
/// redirects and on BaseUrl's origin only, and becomes a tombstone that names where it went; a redirect elsewhere, a loop
/// or too many hops is not followed and is recorded as an <see cref="IssueQuarantined"/> (issue 20 item 6). Rate limits
/// are waited out within bounds (<see cref="GitHubRateLimits"/>). Ingress only: it sends nothing but GETs.
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

        var nativeId = IssueObserved.NativeIdOf(last.Repository, last.Number);
        var (response, chain, refused) = await GetFollowingMovesAsync(context, options.IssueUrl(last.Number), cancellationToken);
        if (refused is not null)
        {
            GitHubLog.RedirectRefused(logger, nativeId + ": " + refused);
            var hash = ContentHash.OfJson(JsonSerializer.SerializeToElement(chain.Select(c => c.Url.AbsoluteUri)));
            return ToObservation(new IssueQuarantined(last.Repository, last.Number, "location", GitHubIssueParser.RedirectRefused, refused, hash, entity.LastOccurredAt));
        }

        using (response)
        {
            if (response!.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
            {
                return new Observation(GitHubNames.IssueDeletedEvent, "issue-" + nativeId, nativeId, entity.LastOccurredAt, new IssueDeleted(last.Repository, last.Number, (int)response.StatusCode, entity.LastOccurredAt));
            }

            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var document = await JsonDocument.ParseAsync(stream, default, cancellationToken);
            if (chain.Count > 1 && MovedTo(document.RootElement) is var (repository, number) && !(string.Equals(repository, last.Repository, StringComparison.OrdinalIgnoreCase) && number == last.Number))
            {
                // Transferred: gone from this repository, and the tombstone says where it went and which status sent it there.
                GitHubLog.IssueMoved(logger, nativeId + " -> " + IssueObserved.NativeIdOf(repository, number));
                return new Observation(GitHubNames.IssueDeletedEvent, "issue-" + nativeId, nativeId, entity.LastOccurredAt, new IssueDeleted(last.Repository, last.Number, chain[0].Status, entity.LastOccurredAt, repository, number));
            }

            return GitHubIssueParser.ParseItem(document.RootElement, options) switch
            {
                { Issue: { } issue } => ToObservation(issue),
                { Quarantined: { } quarantined } => ToObservation(quarantined),
                _ => null,
            };
        }
    }

    /// <summary>
    /// GETs <paramref name="url"/> and follows redirects (301, 302, 307, 308) the way a transferred issue needs: at most
    /// <see cref="GitHubOptions.MaxMoves"/>, each to an absolute or relative Location on BaseUrl's origin (the credential is
    /// bound to it), never to a URL already visited. The chain lists each URL asked with the status it answered.
    /// </summary>
    /// <returns>The final answer (2xx, 404 or 410), or null with why the next redirect was refused; nothing is sent to a refused target.</returns>
    private async Task<(HttpResponseMessage? Response, IReadOnlyList<(Uri Url, int Status)> Chain, string? Refused)> GetFollowingMovesAsync(ConnectorPullContext context, Uri url, CancellationToken cancellationToken)
    {
        var chain = new List<(Uri Url, int Status)>();
        var current = url;
        while (true)
        {
            var response = await GetAsync(context, current, cancellationToken, goneIsAnswer: true, movesAreAnswers: true);
            chain.Add((current, (int)response.StatusCode));
            if (!IsMove(response.StatusCode))
            {
                return (response, chain, null);
            }

            string? refused;
            Uri? next = null;
            using (response)
            {
                var location = response.Headers.Location;
                refused = location is null
                    ? $"GitHub answered {(int)response.StatusCode} to {current.GetLeftPart(UriPartial.Path)} without a Location"
                    : null;
                if (refused is null)
                {
                    next = location!.IsAbsoluteUri ? location : new Uri(current, location);
                    refused = (next.Scheme != Uri.UriSchemeHttps && next.Scheme != Uri.UriSchemeHttp) || !string.IsNullOrEmpty(next.UserInfo) || !GitHubLinks.IsSameOrigin(next, options.BaseUrl)
                        ? $"GitHub moved it to {next.GetLeftPart(UriPartial.Authority)}, not the configured BaseUrl's origin {options.BaseUrl.GetLeftPart(UriPartial.Authority)}; not followed, nothing was sent there"
                        : chain.Any(c => c.Url.AbsoluteUri == next.AbsoluteUri)
                            ? $"the redirects loop back to {next.GetLeftPart(UriPartial.Path)}; not followed again"
                            : chain.Count > GitHubOptions.MaxMoves
                                ? string.Create(CultureInfo.InvariantCulture, $"more than {GitHubOptions.MaxMoves} redirects; the next one, to {next.GetLeftPart(UriPartial.Path)}, was not followed")
                                : null;
                }
            }

            if (refused is not null)
            {
                if (next is not null)
                {
                    chain.Add((next, 0));
                }

                return (null, chain, refused);
            }

            current = next!;
        }
    }

    private static bool IsMove(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    /// <summary>
    /// Where a followed issue lives: <c>owner/repo</c> from its <c>repository_url</c> (<c>…/repos/{owner}/{repo}</c>) and its
    /// <c>number</c>; null when the answer does not say (it is then parsed as an issue of the configured repository).
    /// </summary>
    private static (string Repository, int Number)? MovedTo(JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Object
            || !item.TryGetProperty("number", out var number) || number.ValueKind != JsonValueKind.Number || !number.TryGetInt32(out var n) || n < 1
            || !item.TryGetProperty("repository_url", out var url) || url.ValueKind != JsonValueKind.String
            || !Uri.TryCreate(url.GetString(), UriKind.Absolute, out var repositoryUrl))
        {
            return null;
        }

        var segments = repositoryUrl.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments is [.., "repos", var owner, var repo] && owner.Length > 0 && repo.Length > 0
            ? (Uri.UnescapeDataString(owner) + "/" + Uri.UnescapeDataString(repo), n)
            : null;
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

    private async Task<HttpResponseMessage> GetAsync(ConnectorPullContext context, Uri url, CancellationToken cancellationToken, bool goneIsAnswer = false, bool movesAreAnswers = false)
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
        if (response.IsSuccessStatusCode || (goneIsAnswer && response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone) || (movesAreAnswers && IsMove(response.StatusCode)))
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
