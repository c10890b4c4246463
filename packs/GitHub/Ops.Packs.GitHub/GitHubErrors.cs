using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Ops.Packs.GitHub;

/// <summary>
/// Turns a non-2xx GitHub answer into an <see cref="HttpRequestException"/> whose message names the
/// request, the status, GitHub's own <c>message</c> and, when the rate limit is exhausted, the limit and
/// its reset time, and what was done about the limit (<see cref="GitHubRateLimits"/> waits and retries within bounds;
/// past them, the next sync resumes at the stored cursor).
/// </summary>
internal static class GitHubErrors
{
    private const int MaxBodyInMessage = 300;

    public static HttpRequestException Describe(HttpMethod method, Uri requestUri, HttpStatusCode status, HttpResponseHeaders headers, string body, string? rateLimitNote = null)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"GitHub answered {(int)status} {status} to {method} {requestUri.GetLeftPart(UriPartial.Path)}");
        if (MessageOf(body) is { } message)
        {
            text.Append(CultureInfo.InvariantCulture, $": \"{message}\"");
        }

        text.Append('.');
        if ((int)status is >= 300 and < 400 && headers.Location is { } location)
        {
            text.Append(CultureInfo.InvariantCulture, $" Redirects are not followed; it points to {location.GetLeftPart(UriPartial.Path)} (repository renamed or moved? update Ops:Packs:github:Repository or BaseUrl).");
        }

        if (status is HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests)
        {
            var remaining = Header(headers, "x-ratelimit-remaining");
            var retryAfter = Header(headers, "retry-after");
            if (remaining == "0")
            {
                text.Append(CultureInfo.InvariantCulture, $" Rate limit exhausted: x-ratelimit-limit {Header(headers, "x-ratelimit-limit") ?? "?"}, x-ratelimit-remaining 0, x-ratelimit-resource {Header(headers, "x-ratelimit-resource") ?? "?"}, x-ratelimit-reset {DescribeReset(Header(headers, "x-ratelimit-reset"))}.");
            }

            if (retryAfter is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $" Retry-After: {retryAfter} s.");
            }

            if (rateLimitNote is not null)
            {
                text.Append(' ').Append(rateLimitNote);
            }
            else if (remaining == "0" || retryAfter is not null)
            {
                text.Append(" Not retried; sync again after the reset.");
            }
        }

        return new HttpRequestException(text.ToString(), null, status);
    }

    /// <summary>GitHub's <c>message</c> (or the fixture server's <c>error</c>) member, else the start of a non-JSON body.</summary>
    internal static string? MessageOf(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var name in (string[])["message", "error"])
                {
                    if (document.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
                    {
                        return value.GetString();
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: quote the start of the body below.
        }

        var trimmed = body.Trim();
        return trimmed.Length <= MaxBodyInMessage ? trimmed : trimmed[..MaxBodyInMessage] + "...";
    }

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static string DescribeReset(string? reset)
    {
        if (reset is null)
        {
            return "?";
        }

        // GitHub sends epoch seconds; anything out of range is quoted as is.
        return long.TryParse(reset, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= 253_402_300_799
            ? string.Create(CultureInfo.InvariantCulture, $"{reset} ({DateTimeOffset.FromUnixTimeSeconds(seconds):yyyy-MM-dd'T'HH:mm:ss'Z'})")
            : reset;
    }
}
