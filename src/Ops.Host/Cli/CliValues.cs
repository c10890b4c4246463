using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Ops.Host.Cli;

/// <summary>
/// The CLI's typed options (issue 15 item 3): each parses its value itself, so a malformed or out-of-range value is a
/// usage error (exit 2) that names the option and what it expects, never a .NET type name, and is refused, never
/// clamped. Every option of a type other than text and switches is made here; a generated test feeds each one a
/// malformed value.
/// </summary>
internal static class CliValues
{
    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Option<int> Number(string name, string description, int min, int max, int? defaultValue = null, params string[] aliases)
    {
        var option = new Option<int>(name, aliases)
        {
            Description = description,
            CustomParser = r => Parse(r, name, min, max, (t, out v) => int.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out v)),
        };
        if (defaultValue is { } value)
        {
            option.DefaultValueFactory = _ => value;
        }

        return option;
    }

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>, or absent (null).</summary>
    public static Option<int?> OptionalNumber(string name, string description, int min, int max) => new(name)
    {
        Description = description,
        CustomParser = r => Parse(r, name, min, max, (t, out v) => int.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out v)),
    };

    /// <summary>A log position or count from <paramref name="min"/> up.</summary>
    public static Option<long> LongNumber(string name, string description, long min, long defaultValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r => Parse(r, name, min, long.MaxValue, (t, out v) => long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out v)),
    };

    /// <summary>An instant in ISO 8601 with an offset (for example <c>2026-12-31T00:00:00Z</c>), taken as UTC; or absent (null).</summary>
    public static Option<DateTimeOffset?> Instant(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = r =>
        {
            var token = Token(r);
            if (DateTimeOffset.TryParseExact(token, InstantFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
            {
                return value;
            }

            r.AddError($"{name} expects an instant in ISO 8601 UTC, for example 2026-12-31T00:00:00Z; '{token}' is not one.");
            return null;
        },
    };

    /// <summary>One of the names of <typeparamref name="TEnum"/> (any case).</summary>
    public static Option<TEnum> Choice<TEnum>(string name, string description, TEnum defaultValue)
        where TEnum : struct, Enum => new(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = r => ParseChoice<TEnum>(r, name, Token(r)) ?? defaultValue,
        };

    /// <summary>One or more of the names of <typeparamref name="TEnum"/> (any case), each as its own token or several after one option.</summary>
    public static Option<TEnum[]> Choices<TEnum>(string name, string description, TEnum[] defaultValue)
        where TEnum : struct, Enum => new(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            AllowMultipleArgumentsPerToken = true,
            CustomParser = r => [.. r.Tokens.Select(t => ParseChoice<TEnum>(r, name, t.Value)).OfType<TEnum>()],
        };

    /// <summary>ISO 8601 as people type it: a date, or a date and time with an optional fraction and an offset (Z or ±hh:mm); nothing looser, so '1.5' is not an instant.</summary>
    private static readonly string[] InstantFormats = ["yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK"];

    private delegate bool TryParse<T>(string token, out T value);

    private static T Parse<T>(ArgumentResult r, string name, T min, T max, TryParse<T> tryParse)
        where T : struct, IComparable<T>
    {
        var token = Token(r);
        if (!tryParse(token, out var value))
        {
            r.AddError($"{name} expects a whole number{Range(min, max)}; '{token}' is not one.");
            return default;
        }

        if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
        {
            // Refused, never clamped: the operator learns the bound instead of getting a silently different answer.
            r.AddError($"{name} must be{Range(min, max)}; {token} is out of range.");
            return default;
        }

        return value;
    }

    private static TEnum? ParseChoice<TEnum>(ArgumentResult r, string name, string token)
        where TEnum : struct, Enum
    {
        if (Enum.TryParse<TEnum>(token, ignoreCase: true, out var value) && Enum.IsDefined(value) && !int.TryParse(token, CultureInfo.InvariantCulture, out _))
        {
            return value;
        }

        r.AddError($"{name} expects one of {string.Join(", ", Enum.GetNames<TEnum>())}; '{token}' is not one.");
        return null;
    }

    private static string Token(ArgumentResult r) => r.Tokens.Count > 0 ? r.Tokens[^1].Value : string.Empty;

    private static string Range<T>(T min, T max) =>
        max is long.MaxValue or int.MaxValue ? string.Create(CultureInfo.InvariantCulture, $" from {min} up")
        : string.Create(CultureInfo.InvariantCulture, $" from {min} to {max}");
}

/// <summary>Lists the CLI prints: an empty one says so (issue 15 item 3: "Lists say none").</summary>
internal static class CliLists
{
    /// <summary>Returns <paramref name="items"/>; when there are none, first writes "none: <paramref name="what"/>" to <paramref name="output"/>.</summary>
    public static async Task<IReadOnlyList<T>> OrNoneAsync<T>(TextWriter output, IEnumerable<T> items, string what)
    {
        var list = items as IReadOnlyList<T> ?? [.. items];
        if (list.Count == 0)
        {
            await output.WriteLineAsync("none: " + what);
        }

        return list;
    }
}
