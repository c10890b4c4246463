using System.Globalization;
using System.Text.Json;
using Ops.Core.Identity;
using Ops.Packs.GitHub.Contracts;

namespace Ops.Packs.GitHub;

/// <summary>
/// Maps GitHub's issue JSON (<c>GET /repos/{owner}/{repo}/issues</c> and <c>/issues/{number}</c>) to
/// <see cref="IssueObserved"/> payloads. The shape the pack registers for an item is <see cref="Shape"/>; an item
/// that does not fit it is schema drift and becomes an <see cref="IssueQuarantined"/> (constitution A8), naming the
/// first field that failed, and the page goes on. Only a page that is not a JSON array fails as a whole.
/// </summary>
internal static class GitHubIssueParser
{
    /// <summary>Problem names of <see cref="IssueQuarantined.Problem"/>.</summary>
    public const string Missing = "missing";
    public const string WrongType = "wrong_type";
    public const string InvalidValue = "invalid_value";

    /// <summary>The re-fetch of a recorded issue was redirected where the connector does not follow (issue 20 item 6).</summary>
    public const string RedirectRefused = "redirect_refused";

    /// <summary>
    /// The registered source shape of an issue item, checked in this order: name, JSON kind, whether it must be
    /// present, whether JSON null is allowed. Values are checked too: number a positive 32-bit integer, state
    /// <c>open</c> or <c>closed</c>, instants ISO 8601, labels strings or objects with a string name.
    /// </summary>
    public static readonly IReadOnlyList<FieldRule> Shape =
    [
        new("number", JsonValueKind.Number, Required: true, Nullable: false),
        new("title", JsonValueKind.String, Required: true, Nullable: false),
        new("state", JsonValueKind.String, Required: true, Nullable: false),
        new("created_at", JsonValueKind.String, Required: true, Nullable: false),
        new("updated_at", JsonValueKind.String, Required: true, Nullable: false),
        new("closed_at", JsonValueKind.String, Required: false, Nullable: true),
        new("labels", JsonValueKind.Array, Required: false, Nullable: true),
        new("user", JsonValueKind.Object, Required: false, Nullable: true),
    ];

    /// <summary>The items of a page, in source order; pull requests (items with a <c>pull_request</c> member) are skipped.</summary>
    /// <param name="page">The response body.</param>
    /// <param name="options">Repository and web root for the payload.</param>
    /// <exception cref="JsonException">The page is not a JSON array.</exception>
    public static ParsedPage Parse(JsonElement page, GitHubOptions options)
    {
        if (page.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException($"GitHub answered a JSON {page.ValueKind} where a JSON array of issues was expected.");
        }

        var issues = new List<IssueObserved>(page.GetArrayLength());
        var quarantined = new List<IssueQuarantined>();
        var skipped = 0;
        foreach (var item in page.EnumerateArray())
        {
            switch (ParseItem(item, options))
            {
                case { Issue: { } issue }:
                    issues.Add(issue);
                    break;
                case { Quarantined: { } q }:
                    quarantined.Add(q);
                    break;
                default:
                    skipped++;
                    break;
            }
        }

        return new ParsedPage(issues, quarantined, skipped);
    }

    /// <summary>One item: an issue, a quarantine record, or neither (a pull request).</summary>
    public static ParsedItem ParseItem(JsonElement item, GitHubOptions options)
    {
        var repository = options.Repository ?? throw new InvalidOperationException("No repository is configured.");
        if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("pull_request", out _))
        {
            return new ParsedItem(null, null);
        }

        try
        {
            return new ParsedItem(ParseIssue(item, repository, options), null);
        }
        catch (DriftException drift)
        {
            return new ParsedItem(null, new IssueQuarantined(
                repository, NumberOf(item), drift.Field, drift.Problem, drift.Message, ContentHash.OfJson(item), InstantOf(item, "updated_at")));
        }
    }

    private static IssueObserved ParseIssue(JsonElement item, string repository, GitHubOptions options)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw new DriftException("$", WrongType, $"the item is a JSON {item.ValueKind}, not an issue object");
        }

        foreach (var rule in Shape)
        {
            Check(item, rule);
        }

        var number = item.GetProperty("number");
        if (!number.TryGetInt32(out var n) || n < 1)
        {
            throw new DriftException("number", InvalidValue, $"'number' is {number.GetRawText()}, not a positive issue number");
        }

        var state = item.GetProperty("state").GetString()!;
        if (state is not ("open" or "closed"))
        {
            throw new DriftException("state", InvalidValue, $"'state' is '{state}', not open or closed");
        }

        var author = item.TryGetProperty("user", out var user) && user.ValueKind == JsonValueKind.Object
            && user.TryGetProperty("login", out var login) && login.ValueKind == JsonValueKind.String
            ? login.GetString()!
            : "ghost";
        return new IssueObserved(
            repository,
            n,
            item.GetProperty("title").GetString()!,
            state,
            Labels(item),
            author,
            Instant(item, "created_at"),
            Instant(item, "updated_at"),
            options.HtmlUrlOf(n),
            item.TryGetProperty("closed_at", out var closed) && closed.ValueKind == JsonValueKind.String ? Instant(item, "closed_at") : null);
    }

    private static void Check(JsonElement item, FieldRule rule)
    {
        if (!item.TryGetProperty(rule.Name, out var value))
        {
            if (rule.Required)
            {
                throw new DriftException(rule.Name, Missing, $"GitHub's answer has no '{rule.Name}'");
            }

            return;
        }

        if (value.ValueKind == rule.Kind || (rule.Nullable && value.ValueKind == JsonValueKind.Null))
        {
            return;
        }

        throw new DriftException(rule.Name, WrongType, $"'{rule.Name}' is a JSON {value.ValueKind}, expected {rule.Kind}{(rule.Nullable ? " or Null" : string.Empty)}");
    }

    private static string[] Labels(JsonElement item)
    {
        if (!item.TryGetProperty("labels", out var labels) || labels.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var label in labels.EnumerateArray())
        {
            var name = label.ValueKind switch
            {
                JsonValueKind.String => label.GetString(),
                JsonValueKind.Object when label.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String => n.GetString(),
                _ => throw new DriftException("labels", InvalidValue, $"'labels' holds a JSON {label.ValueKind} without a string 'name'"),
            };
            names.Add(name!);
        }

        return [.. names];
    }

    private static DateTimeOffset Instant(JsonElement item, string name) =>
        InstantOf(item, name) ?? throw new DriftException(name, InvalidValue, $"'{name}' is '{item.GetProperty(name).GetString()}', not an ISO 8601 instant");

    private static DateTimeOffset? InstantOf(JsonElement item, string name) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
        && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant)
            ? instant.ToUniversalTime()
            : null;

    private static int? NumberOf(JsonElement item) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty("number", out var number) && number.ValueKind == JsonValueKind.Number
        && number.TryGetInt32(out var n) && n > 0
            ? n
            : null;

    /// <summary>A field of the item does not fit <see cref="Shape"/>; caught per item, never leaves the parser.</summary>
    private sealed class DriftException(string field, string problem, string detail) : Exception(detail)
    {
        public string Field { get; } = field;

        public string Problem { get; } = problem;
    }
}

/// <summary>One field of the registered item shape.</summary>
internal sealed record FieldRule(string Name, JsonValueKind Kind, bool Required, bool Nullable);

/// <summary>A page's issues and quarantined items, and how many pull requests were skipped.</summary>
internal sealed record ParsedPage(IReadOnlyList<IssueObserved> Issues, IReadOnlyList<IssueQuarantined> Quarantined, int SkippedPullRequests);

/// <summary>An item: an issue, a quarantine record, or neither (a pull request).</summary>
internal sealed record ParsedItem(IssueObserved? Issue, IssueQuarantined? Quarantined);
