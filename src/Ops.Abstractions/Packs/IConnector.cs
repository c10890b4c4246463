namespace Ops.Core.Packs;

/// <summary>
/// An ingress-only connector (constitution A8): it pulls one page at a time from a source and
/// reports observations; the kernel turns them into events with deterministic ids, appends them and
/// stores the cursor in the same transaction. A connector never writes anywhere.
/// </summary>
public interface IConnector
{
    /// <summary>Pulls the page after <see cref="ConnectorPullContext.Cursor"/>.</summary>
    /// <param name="context">Cursor, watermark, clock and a credentialed HTTP client factory.</param>
    /// <param name="cancellationToken">Cancels the pull.</param>
    /// <returns>The page; <see cref="ConnectorPage.NextCursor"/> is <see langword="null"/> on the last page.</returns>
    ValueTask<ConnectorPage> PullAsync(ConnectorPullContext context, CancellationToken cancellationToken);
}

/// <summary>One page of observations.</summary>
/// <param name="Observations">What the page showed, in source order.</param>
/// <param name="NextCursor">Cursor of the next page, or <see langword="null"/> when the sync is complete.</param>
/// <param name="Watermark">The newest source time seen so far, as the source writes it (for example an ISO 8601 updated_at).</param>
public sealed record ConnectorPage(IReadOnlyList<Observation> Observations, string? NextCursor, string? Watermark);

/// <summary>A fact observed at the source.</summary>
/// <param name="EventType">Registered event type, for example <c>pack.github.issues.IssueObserved</c>.</param>
/// <param name="StreamKey">Pack-local stream key of the entity, for example <c>issue-octo/repo#13</c>.</param>
/// <param name="SourceNativeId">The source's own id of the entity.</param>
/// <param name="OccurredAt">When the source says it happened (UTC).</param>
/// <param name="Payload">The registered payload record.</param>
/// <param name="SourceSequence">The source's sequence number, if it has one.</param>
public sealed record Observation(string EventType, string StreamKey, string SourceNativeId, DateTimeOffset OccurredAt, object Payload, long? SourceSequence = null);

/// <summary>What a connector gets for one pull.</summary>
public abstract class ConnectorPullContext
{
    /// <summary>The connector id, <c>&lt;pack_id&gt;.&lt;name&gt;</c>.</summary>
    public abstract string ConnectorId { get; }

    /// <summary>The durable cursor of the page to pull; <see langword="null"/> at the start of a sync.</summary>
    public abstract string? Cursor { get; }

    /// <summary>The watermark stored by the last page.</summary>
    public abstract string? Watermark { get; }

    /// <summary>The kernel's clock.</summary>
    public abstract TimeProvider Time { get; }

    /// <summary>
    /// An HTTP client whose requests to <paramref name="audience"/>'s origin carry the secret
    /// <paramref name="secretId"/> as <c>Authorization: &lt;scheme&gt; &lt;value&gt;</c>. The pack never sees the
    /// value; the issuance is receipted in the log (constitution §12). Requests to any other origin
    /// carry no credential.
    /// </summary>
    /// <param name="secretId">Secret class, for example <c>github_token</c>.</param>
    /// <param name="audience">Base address the secret is bound to.</param>
    /// <param name="scheme">Authorization scheme, for example <c>token</c> or <c>Bearer</c>.</param>
    /// <param name="cancellationToken">Cancels the issuance.</param>
    /// <returns>A client with <see cref="HttpClient.BaseAddress"/> set to <paramref name="audience"/>.</returns>
    /// <exception cref="Errors.OpsException"><see cref="Errors.ReasonCodes.SecretUnavailable"/>: the secret is not configured.</exception>
    public abstract ValueTask<HttpClient> CreateHttpClientAsync(string secretId, Uri audience, string scheme, CancellationToken cancellationToken);
}
