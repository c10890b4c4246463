namespace Ops.Packs.GitHub.Contracts;

/// <summary>
/// <c>pack.github.issues.IssueObserved</c> (payload schema version 1): the issues connector saw an
/// issue in this state. Only stable fields are kept, so observing an unchanged issue again gives the
/// same payload, the same event id, and no new event. The source native id is
/// <c>&lt;owner&gt;/&lt;repo&gt;#&lt;number&gt;</c>; occurred_at is <see cref="UpdatedAt"/>.
/// </summary>
/// <param name="Repository">The repository, <c>owner/repo</c>, as configured.</param>
/// <param name="Number">The issue number within the repository (GitHub's <c>number</c>, not its <c>id</c>).</param>
/// <param name="Title">The issue title.</param>
/// <param name="State">GitHub's state: <c>open</c> or <c>closed</c>.</param>
/// <param name="Labels">Label names, distinct, sorted ordinally.</param>
/// <param name="AuthorLogin">Login of the user who opened the issue (<c>ghost</c> when GitHub reports none).</param>
/// <param name="CreatedAt">When the issue was opened (UTC).</param>
/// <param name="UpdatedAt">When the issue last changed (UTC).</param>
/// <param name="HtmlUrl">The issue's web page: <c>&lt;HtmlBaseUrl&gt;/&lt;owner&gt;/&lt;repo&gt;/issues/&lt;number&gt;</c>.</param>
/// <param name="ClosedAt">When the issue was closed (UTC), or <see langword="null"/> while it is open.</param>
public sealed record IssueObserved(
    string Repository,
    int Number,
    string Title,
    string State,
    IReadOnlyList<string> Labels,
    string AuthorLogin,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string HtmlUrl,
    DateTimeOffset? ClosedAt = null)
{
    /// <summary>Builds the source native id of an issue.</summary>
    /// <param name="repository">The repository, <c>owner/repo</c>.</param>
    /// <param name="number">The issue number.</param>
    /// <returns>For example <c>octo/repo#13</c>.</returns>
    public static string NativeIdOf(string repository, int number) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{repository}#{number}");
}
