namespace Ops.Core.Capabilities;

/// <summary>Pattern rules of capability scopes: exact, prefix with trailing <c>*</c>, or <c>*</c>.</summary>
internal static class ScopePatterns
{
    public static bool Matches(string pattern, string value) =>
        pattern == "*"
        || (pattern.EndsWith('*') && value.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal))
        || string.Equals(pattern, value, StringComparison.Ordinal);

    public static bool AnyMatches(IEnumerable<string> patterns, string value) => patterns.Any(p => Matches(p, value));

    /// <summary>Whether everything <paramref name="inner"/> matches is matched by <paramref name="outer"/>.</summary>
    public static bool IsCoveredBy(string inner, string outer)
    {
        if (outer == "*")
        {
            return true;
        }

        if (outer.EndsWith('*'))
        {
            var prefix = outer.AsSpan(0, outer.Length - 1);
            return inner.StartsWith(prefix, StringComparison.Ordinal);
        }

        return string.Equals(inner, outer, StringComparison.Ordinal);
    }

    public static bool AllCovered(IEnumerable<string> inner, IReadOnlyList<string> outer) =>
        inner.All(i => outer.Any(o => IsCoveredBy(i, o)));

    public static string? Validate(IReadOnlyList<string>? patterns, string what)
    {
        if (patterns is null || patterns.Count == 0)
        {
            return $"{what} needs at least one pattern.";
        }

        foreach (var pattern in patterns)
        {
            if (string.IsNullOrWhiteSpace(pattern) || pattern.Length > 200 || pattern.IndexOf('*', StringComparison.Ordinal) is var star && star >= 0 && star != pattern.Length - 1)
            {
                return $"{what} pattern '{pattern}' is invalid: use an exact value, a prefix ending in '*', or '*'.";
            }
        }

        return null;
    }
}
