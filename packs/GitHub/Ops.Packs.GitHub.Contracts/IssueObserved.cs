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

/// <summary>
/// <c>pack.github.issues.IssueDeleted</c> (payload schema version 1): a tombstone (constitution A8). After a full
/// sync, the issues connector re-fetched an issue it had recorded but the listing no longer showed, and GitHub
/// answered 404 or 410, or moved it to another repository (a transferred issue: GitHub answers 301 and the connector
/// follows the move on its own origin, issue 20 item 6; then <see cref="MovedToRepository"/> and
/// <see cref="MovedToNumber"/> say where it went). Either way it is gone from this repository. occurred_at is the
/// issue's last recorded <c>updated_at</c> (GitHub does not say when it went), so re-observing the same
/// disappearance gives the same event id.
/// </summary>
/// <param name="Repository">The repository, <c>owner/repo</c>.</param>
/// <param name="Number">The issue number.</param>
/// <param name="Status">GitHub's answer to the re-fetch: 404 or 410, or the first redirect's status (301) for a move.</param>
/// <param name="LastUpdatedAt">The issue's last recorded <c>updated_at</c> (UTC).</param>
/// <param name="MovedToRepository">For a move: the repository it is in now, <c>owner/repo</c>, as the followed answer names it; otherwise <see langword="null"/>.</param>
/// <param name="MovedToNumber">For a move: its number there; otherwise <see langword="null"/>.</param>
/// <remarks>The two move fields are left out of the JSON while null, so a 404 or 410 tombstone has the same bytes, and the same event id, as before they existed.</remarks>
public sealed record IssueDeleted(
    string Repository,
    int Number,
    int Status,
    DateTimeOffset LastUpdatedAt,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? MovedToRepository = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] int? MovedToNumber = null);

/// <summary>
/// <c>pack.github.issues.IssueQuarantined</c> (payload schema version 1): an item of GitHub's answer no longer fits
/// the shape the pack registered for it (schema drift, constitution A8). It is recorded here instead of as an
/// <see cref="IssueObserved"/>, and the sync goes on with the next item.
/// </summary>
/// <param name="Repository">The repository, <c>owner/repo</c>.</param>
/// <param name="Number">The issue number, when the item has a usable one.</param>
/// <param name="Field">The first field that does not fit, for example <c>updated_at</c>; <c>$</c> for the item itself.</param>
/// <param name="Problem">
/// What does not fit: <c>missing</c>, <c>wrong_type</c> or <c>invalid_value</c>; or <c>redirect_refused</c> when the re-fetch
/// of a recorded issue was redirected where the connector does not follow (another origin, a loop, more than three
/// moves; issue 20 item 6), with <see cref="Field"/> <c>location</c>.
/// </param>
/// <param name="Detail">The same in words, for example "'updated_at' is a JSON Number, expected String".</param>
/// <param name="ItemHash">SHA-256 of the item's canonical JSON (RFC 8785), 64 hex characters: which item, without copying it (for a refused redirect, of the redirect chain's URLs).</param>
/// <param name="UpdatedAt">The item's <c>updated_at</c> when it is usable; also the event's occurred_at (else 1970-01-01, so a replay gives the same id).</param>
public sealed record IssueQuarantined(string Repository, int? Number, string Field, string Problem, string Detail, string ItemHash, DateTimeOffset? UpdatedAt);
