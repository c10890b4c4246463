namespace Ops.Packs.GitHub;

/// <summary>GitHub's <c>Link</c> header pagination and the rule that the connector only follows links on its own origin.</summary>
internal static class GitHubLinks
{
    /// <summary>
    /// The <c>rel="next"</c> target of a <c>Link</c> header value (RFC 8288), exactly as written, or
    /// <see langword="null"/> when there is none (the last page).
    /// </summary>
    /// <param name="linkHeader">For example <c>&lt;https://api.github.com/repositories/1/issues?page=2&gt;; rel="next", &lt;...&gt;; rel="last"</c>.</param>
    public static string? NextLink(string? linkHeader)
    {
        if (string.IsNullOrEmpty(linkHeader))
        {
            return null;
        }

        var position = 0;
        while (position < linkHeader.Length)
        {
            var open = linkHeader.IndexOf('<', position);
            if (open < 0)
            {
                return null;
            }

            var close = linkHeader.IndexOf('>', open + 1);
            if (close < 0)
            {
                return null;
            }

            var target = linkHeader[(open + 1)..close];
            var end = linkHeader.IndexOf('<', close + 1);
            var parameters = (end < 0 ? linkHeader[(close + 1)..] : linkHeader[(close + 1)..end]).Trim().TrimEnd(',');
            if (HasRel(parameters, "next"))
            {
                return target.Trim();
            }

            position = end < 0 ? linkHeader.Length : end;
        }

        return null;
    }

    /// <summary>The <c>rel="next"</c> target of a response's <c>Link</c> headers, or <see langword="null"/>.</summary>
    public static string? NextLink(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Link", out var values) ? values.Select(NextLink).FirstOrDefault(n => n is not null) : null;

    /// <summary>
    /// Parses a link to follow and checks that it is an absolute http(s) URL on <paramref name="baseUrl"/>'s
    /// origin (scheme, host and port): the credential is bound to that origin, and the connector talks to nothing else.
    /// </summary>
    /// <param name="link">A <c>next</c> link or a stored cursor.</param>
    /// <param name="baseUrl">The configured API root.</param>
    /// <returns>The link as a URI.</returns>
    /// <exception cref="InvalidOperationException">The link is not absolute or points to another origin.</exception>
    public static Uri RequireSameOrigin(string link, Uri baseUrl)
    {
        if (!Uri.TryCreate(link, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || !string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new InvalidOperationException($"Refusing to follow next link '{link}': it is not an absolute http(s) URL without user info. Nothing was sent there.");
        }

        if (!IsSameOrigin(uri, baseUrl))
        {
            throw new InvalidOperationException(
                $"Refusing to follow next link '{uri.GetLeftPart(UriPartial.Path)}': its origin {uri.GetLeftPart(UriPartial.Authority)} is not the configured BaseUrl's origin {baseUrl.GetLeftPart(UriPartial.Authority)}. Nothing was sent there.");
        }

        return uri;
    }

    /// <summary>Whether two URIs share scheme, host (case-insensitive) and port.</summary>
    public static bool IsSameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;

    private static bool HasRel(string parameters, string rel)
    {
        foreach (var parameter in parameters.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = parameter.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0 || !parameter[..equals].Trim().Equals("rel", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var value = parameter[(equals + 1)..].Trim().Trim('"');
            if (value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Any(v => v.Equals(rel, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }
}
