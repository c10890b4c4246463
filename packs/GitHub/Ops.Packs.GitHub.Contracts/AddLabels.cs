namespace Ops.Packs.GitHub.Contracts;

/// <summary>
/// <c>pack.github.issues.AddLabels</c> (WRITE_EXTERNAL_SIDE_EFFECT): adds labels to an issue on GitHub, through the
/// kernel's outbox only (approval, quota, kill switch, receipt). Target: <c>issue-&lt;owner&gt;/&lt;repo&gt;#&lt;number&gt;</c>,
/// derived from the payload.
/// </summary>
/// <param name="Repository"><c>owner/repo</c>.</param>
/// <param name="IssueNumber">The issue's number, 1 or more.</param>
/// <param name="Labels">Label names to add, 1 to 100, in the order sent.</param>
public sealed record AddLabels(string Repository, int IssueNumber, IReadOnlyList<string> Labels);

/// <summary><c>pack.github.issues.LabelsAddRequested</c>: the committed intent; the labels are on GitHub once the request's receipt says executed.</summary>
/// <param name="Repository"><c>owner/repo</c>.</param>
/// <param name="IssueNumber">The issue.</param>
/// <param name="Labels">The labels asked for.</param>
public sealed record LabelsAddRequested(string Repository, int IssueNumber, IReadOnlyList<string> Labels);

/// <summary>Names of the AddLabels egress feature.</summary>
public static class AddLabelsNames
{
    /// <summary>The command type.</summary>
    public const string AddLabels = "pack.github.issues.AddLabels";

    /// <summary>The event type of <see cref="LabelsAddRequested"/>.</summary>
    public const string LabelsAddRequested = "pack.github.issues.LabelsAddRequested";

    /// <summary>The egress destination; settings in <c>Ops:Egress:Destinations:github</c> (BaseUrl, SecretId <c>github_token</c>, Scheme <c>token</c>).</summary>
    public const string Destination = "github";

    /// <summary>The target of a command on an issue.</summary>
    /// <param name="repository"><c>owner/repo</c>.</param>
    /// <param name="issueNumber">The issue.</param>
    /// <returns><c>issue-&lt;owner&gt;/&lt;repo&gt;#&lt;number&gt;</c>.</returns>
    public static string TargetOf(string repository, int issueNumber) => $"issue-{repository}#{issueNumber.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}
