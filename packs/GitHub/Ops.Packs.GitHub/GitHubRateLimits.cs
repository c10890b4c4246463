using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Ops.Core.Connectors;

namespace Ops.Packs.GitHub;

/// <summary>
/// GitHub's rate limits, honoured (constitution A8 "rate-limit/retry models"). A 403 or 429 answer asks for a wait:
/// <c>Retry-After</c> (seconds or an HTTP date) first, else, when <c>x-ratelimit-remaining</c> is 0, until
/// <c>x-ratelimit-reset</c> (epoch seconds), else for a 429 one minute (GitHub's advice for secondary limits).
/// A 403 that carries none of these is a refusal, not a limit. The same GET is sent again after the wait, through
/// the kernel's <see cref="ConnectorRetry"/> (on the kernel's clock), bounded by <see cref="GitHubOptions.RateLimitMaxRetries"/> retries and
/// <see cref="GitHubOptions.RateLimitMaxWait"/> per wait; a longer wait is not taken. Only GETs pass here.
/// </summary>
internal static class GitHubRateLimits
{
    /// <summary>Wait of a 429 without Retry-After or exhausted limit headers.</summary>
    public static readonly TimeSpan SecondaryLimitWait = TimeSpan.FromMinutes(1);

    /// <summary>The wait a response asks for (never negative), or <see langword="null"/> when it is not a rate-limit answer.</summary>
    /// <param name="response">GitHub's answer.</param>
    /// <param name="now">The kernel's clock (UTC).</param>
    public static TimeSpan? RequestedWait(HttpResponseMessage response, DateTimeOffset now)
    {
        if (response.StatusCode is not (HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests))
        {
            return null;
        }

        if (response.Headers.RetryAfter is { } retryAfter)
        {
            var wait = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - now : TimeSpan.Zero);
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        if (Header(response, "x-ratelimit-remaining") == "0"
            && long.TryParse(Header(response, "x-ratelimit-reset"), NumberStyles.None, CultureInfo.InvariantCulture, out var reset)
            && reset <= 253_402_300_799)
        {
            var wait = DateTimeOffset.FromUnixTimeSeconds(reset) - now;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return response.StatusCode == HttpStatusCode.TooManyRequests ? SecondaryLimitWait : null;
    }

    /// <summary>Sends a GET built by <paramref name="newRequest"/> through the kernel's <see cref="ConnectorRetry"/> with GitHub's wait rule and the configured bounds.</summary>
    /// <returns>The last response (the caller disposes it) and how many retries were made.</returns>
    public static async Task<(HttpResponseMessage Response, int Retries)> GetAsync(
        HttpClient client, Func<HttpRequestMessage> newRequest, GitHubOptions options, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var result = await ConnectorRetry.GetAsync(client, newRequest, RequestedWait, new ConnectorRetryOptions(options.RateLimitMaxRetries, options.RateLimitMaxWait), time, logger, cancellationToken);
        return (result.Response, result.Retries);
    }

    /// <summary>Why a rate-limit answer was given up on, for the error message; <see langword="null"/> when it is not one.</summary>
    public static string? GiveUpNote(HttpResponseMessage response, int retries, GitHubOptions options, DateTimeOffset now) =>
        RequestedWait(response, now) switch
        {
            null => null,
            { } wait when wait > options.RateLimitMaxWait => string.Create(
                CultureInfo.InvariantCulture,
                $"Not retried: GitHub asks for a wait of {wait.TotalSeconds:0} s, more than RateLimitMaxWaitSeconds ({options.RateLimitMaxWait.TotalSeconds:0} s); sync again after the reset."),
            _ => string.Create(
                CultureInfo.InvariantCulture,
                $"Gave up after {retries} retries (RateLimitMaxRetries {options.RateLimitMaxRetries}); sync again after the reset."),
        };

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
