namespace Ops.Packs.GitHub.Contracts;

/// <summary>The registered names of the github pack, for consumers that read its events, projection and query.</summary>
public static class GitHubNames
{
    /// <summary>The pack id from <c>pack.json</c>.</summary>
    public const string PackId = "github";

    /// <summary>Event type of <see cref="IssueObserved"/>.</summary>
    public const string IssueObservedEvent = "pack.github.issues.IssueObserved";

    /// <summary>Event type of <see cref="IssueDeleted"/>, the issues connector's tombstone.</summary>
    public const string IssueDeletedEvent = "pack.github.issues.IssueDeleted";

    /// <summary>Event type of <see cref="IssueQuarantined"/>.</summary>
    public const string IssueQuarantinedEvent = "pack.github.issues.IssueQuarantined";

    /// <summary>Projection holding one document per issue, keyed by <c>&lt;owner&gt;/&lt;repo&gt;#&lt;number&gt;</c>.</summary>
    public const string IssueIndexProjection = "pack.github.issues.IssueIndex";

    /// <summary>Query name of <see cref="IssuesByStateAndLabel"/>.</summary>
    public const string IssuesByStateAndLabelQuery = "pack.github.issues.IssuesByStateAndLabel";

    /// <summary>Route of <see cref="IssuesByStateAndLabel"/>: <c>GET /v1/queries/github/issues-by-state-and-label</c>.</summary>
    public const string IssuesByStateAndLabelRoute = "issues-by-state-and-label";

    /// <summary>Short name of the issues connector.</summary>
    public const string IssuesConnectorName = "issues";

    /// <summary>Id of the issues connector, <c>&lt;pack_id&gt;.&lt;name&gt;</c>.</summary>
    public const string IssuesConnectorId = "github.issues";

    /// <summary>Secret class the connector asks the kernel for (configuration <c>Ops:Secrets:github_token</c>).</summary>
    public const string TokenSecretId = "github_token";
}
