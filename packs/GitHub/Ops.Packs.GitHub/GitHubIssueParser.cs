using System.Globalization;
using System.Text.Json;
using Ops.Packs.GitHub.Contracts;

namespace Ops.Packs.GitHub;

/// <summary>
/// Maps one page of GitHub's <c>GET /repos/{owner}/{repo}/issues</c> answer to <see cref="IssueObserved"/>
/// payloads. GitHub's JSON is read by hand (it has many more members than the payload keeps); a missing
/// or mistyped field the payload needs is schema drift and fails the page with a <see cref="JsonException"/>.
/// </summary>
internal static class GitHubIssueParser
{
    /// <summary>The issues of a page, in source order; pull requests (items with a <c>pull_request</c> member) are skipped.</summary>
    /// <param name="page">The response body.</param>
    /// <param name="options">Repository and web root for the payload.</param>
    /// <param name="skippedPullRequests">How many items were pull requests.</param>
    public static IReadOnlyList<IssueObserved> Parse(JsonElement page, GitHubOptions options, out int skippedPullRequests)
    {
        if (page.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException($"GitHub answered a JSON {page.ValueKind} where a JSON array of issues was expected.");
        }

        var repository = options.Repository ?? throw new InvalidOperationException("No repository is configured.");
        var issues = new List<IssueObserved>(page.GetArrayLength());
        skippedPullRequests = 0;
        var index = 0;
        foreach (var item in page.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new JsonException($"Item {index} of the page is a JSON {item.ValueKind}, not an issue object.");
            }

            if (item.TryGetProperty("pull_request", out _))
            {
                skippedPullRequests++;
            }
            else
            {
                issues.Add(ParseIssue(item, index, repository, options));
            }

            index++;
        }

        return issues;
    }

    private static IssueObserved ParseIssue(JsonElement item, int index, string repository, GitHubOptions options)
    {
        var number = Required(item, "number", JsonValueKind.Number, index);
        if (!number.TryGetInt32(out var n) || n < 1)
        {
            throw new JsonException($"Item {index}: 'number' is {number.GetRawText()}, not a positive issue number.");
        }

        var where = IssueObserved.NativeIdOf(repository, n);
        var author = item.TryGetProperty("user", out var user) && user.ValueKind == JsonValueKind.Object
            && user.TryGetProperty("login", out var login) && login.ValueKind == JsonValueKind.String
            ? login.GetString()!
            : "ghost";
        return new IssueObserved(
            repository,
            n,
            Required(item, "title", JsonValueKind.String, where).GetString()!,
            Required(item, "state", JsonValueKind.String, where).GetString()!,
            Labels(item, where),
            author,
            Instant(Required(item, "created_at", JsonValueKind.String, where), "created_at", where),
            Instant(Required(item, "updated_at", JsonValueKind.String, where), "updated_at", where),
            options.HtmlUrlOf(n),
            item.TryGetProperty("closed_at", out var closed) && closed.ValueKind == JsonValueKind.String ? Instant(closed, "closed_at", where) : null);
    }

    private static string[] Labels(JsonElement item, string where)
    {
        if (!item.TryGetProperty("labels", out var labels) || labels.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (labels.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException($"Issue {where}: 'labels' is a JSON {labels.ValueKind}, not an array.");
        }

        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var label in labels.EnumerateArray())
        {
            var name = label.ValueKind switch
            {
                JsonValueKind.String => label.GetString(),
                JsonValueKind.Object when label.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String => n.GetString(),
                _ => throw new JsonException($"Issue {where}: a label is a JSON {label.ValueKind} without a string 'name'."),
            };
            names.Add(name!);
        }

        return [.. names];
    }

    private static JsonElement Required(JsonElement item, string name, JsonValueKind kind, object where)
    {
        if (!item.TryGetProperty(name, out var value))
        {
            throw new JsonException($"Issue {Describe(where)}: GitHub's answer has no '{name}' (schema drift?).");
        }

        if (value.ValueKind != kind)
        {
            throw new JsonException($"Issue {Describe(where)}: '{name}' is a JSON {value.ValueKind}, expected {kind} (schema drift?).");
        }

        return value;
    }

    private static DateTimeOffset Instant(JsonElement value, string name, string where)
    {
        var text = value.GetString();
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
        {
            throw new JsonException($"Issue {where}: '{name}' is '{text}', not an ISO 8601 instant.");
        }

        return instant.ToUniversalTime();
    }

    private static string Describe(object where) =>
        where is int index ? string.Create(CultureInfo.InvariantCulture, $"at item {index}") : (string)where;
}
