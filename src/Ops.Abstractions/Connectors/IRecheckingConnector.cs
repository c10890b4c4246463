using Ops.Core.Packs;

namespace Ops.Core.Connectors;

/// <summary>
/// A connector that can re-fetch one entity, so that deletes become tombstones rather than silent drops
/// (constitution A8). After a full sync (one that started with no stored cursor and no watermark: the first
/// sync, or the first after a reset) the kernel calls <see cref="RecheckAsync"/> for each entity this
/// connector recorded that the sync did not observe and whose newest event is not already the tombstone.
/// </summary>
public interface IRecheckingConnector : IConnector
{
    /// <summary>The registered event type the connector reports when an entity is gone, for example <c>pack.github.issues.IssueDeleted</c>.</summary>
    string TombstoneEventType { get; }

    /// <summary>
    /// Re-fetches one entity. Reads only (GETs); a failure throws as <see cref="IConnector.PullAsync"/> does and
    /// ends the sweep, with every result before it stored.
    /// </summary>
    /// <param name="context">The same context as a pull; <see cref="ConnectorPullContext.Cursor"/> is <see langword="null"/>.</param>
    /// <param name="entity">What the log holds about the entity.</param>
    /// <param name="cancellationToken">Cancels the re-fetch.</param>
    /// <returns>
    /// An observation of the entity's current state, a tombstone observation of <see cref="TombstoneEventType"/>
    /// when the source says it is gone, or <see langword="null"/> to leave it (for example a stream this recheck
    /// does not cover).
    /// </returns>
    ValueTask<Observation?> RecheckAsync(ConnectorPullContext context, KnownEntity entity, CancellationToken cancellationToken);
}

/// <summary>An entity a connector recorded, as the log holds it.</summary>
/// <param name="StreamKey">Pack-local stream key, for example <c>issue-octo/repo#13</c>.</param>
/// <param name="LastEventType">Type of the stream's newest event.</param>
/// <param name="LastEventId">Id of the stream's newest event.</param>
/// <param name="LastOccurredAt">occurred_at of the stream's newest event (UTC); a tombstone may use it as its own, the delete's time being unknown.</param>
/// <param name="LastPayload">The newest event's payload (the log does not keep source native ids apart from it).</param>
public sealed record KnownEntity(string StreamKey, string LastEventType, string LastEventId, DateTimeOffset LastOccurredAt, System.Text.Json.JsonElement LastPayload);
