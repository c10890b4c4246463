using Ops.Core.Envelopes;
using Ops.Core.Log;

namespace Ops.Core.Storage;

/// <summary>
/// One batch of the group commit, as the engine sees it: plain reads and inserts of stored rows inside one
/// transaction, with savepoints so one failing unit of work never sinks its neighbours. The chain itself
/// (positions, prev_hash, row_hash, stream versions) is computed by <see cref="WriteSession"/>, not here.
/// Statements are prepared once per connection and reused by every batch. A unit of work's appends go through the
/// set-based pair <see cref="ProbeAsync"/> and <see cref="TryInsertEventsAsync"/>: one call each per unit, whatever
/// its size (on PostgreSQL one round trip each; issue 8 item 7).
/// </summary>
public interface IWriteTransaction : IAsyncDisposable
{
    /// <summary>Sets a savepoint (one per unit of a batch).</summary>
    /// <param name="savepoint">Its name, <c>[a-z_0-9]+</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when it is set.</returns>
    ValueTask SaveAsync(string savepoint, CancellationToken cancellationToken);

    /// <summary>Undoes everything since the savepoint, keeping the rest of the batch.</summary>
    /// <param name="savepoint">Its name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when it is undone.</returns>
    ValueTask RollbackToAsync(string savepoint, CancellationToken cancellationToken);

    /// <summary>Keeps what was done since the savepoint and forgets it.</summary>
    /// <param name="savepoint">Its name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when it is released.</returns>
    ValueTask ReleaseAsync(string savepoint, CancellationToken cancellationToken);

    /// <summary>Commits the batch durably (the group commit).</summary>
    /// <param name="cancellationToken">Cancels the commit.</param>
    /// <returns>A task that completes when it is durable.</returns>
    ValueTask CommitAsync(CancellationToken cancellationToken);

    /// <summary>Undoes the whole batch.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when it is undone.</returns>
    ValueTask RollbackAsync(CancellationToken cancellationToken);

    /// <summary>The last row's position and row_hash; (0, 32 zero bytes) for an empty log.</summary>
    ValueTask<(long Position, byte[] RowHash)> ReadHeadAsync(CancellationToken cancellationToken);

    /// <summary>The last chained outcome's seq and row_hash; (0, 32 zero bytes) when there is none.</summary>
    ValueTask<(long Seq, byte[] RowHash)> ReadOutcomeHeadAsync(CancellationToken cancellationToken);

    /// <summary>Events of type <c>core.*</c> after <paramref name="position"/>, in position order (other processes' appends).</summary>
    ValueTask<IReadOnlyList<LoggedEvent>> ReadCoreEventsAfterAsync(long position, CancellationToken cancellationToken);

    /// <summary>The stream's last version, 0 when it has no event.</summary>
    ValueTask<long> StreamVersionAsync(string streamId, CancellationToken cancellationToken);

    /// <summary>occurred_at (UTC ticks) of the stream's last event, or null.</summary>
    ValueTask<long?> LastOccurredAtTicksAsync(string streamId, CancellationToken cancellationToken);

    /// <summary>Every event of one stream inside this transaction (its own appends included), in stream-version order.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The events.</returns>
    ValueTask<IReadOnlyList<LoggedEvent>> ReadStreamAsync(string streamId, CancellationToken cancellationToken);

    /// <summary>The event with this 32-byte event_id, or null.</summary>
    ValueTask<LoggedEvent?> FindEventAsync(byte[] eventId, CancellationToken cancellationToken);

    /// <summary>
    /// Inserts one row. Returns false when the database refused it for a uniqueness reason (position, event_id or
    /// stream version taken); the caller tells which from the state it then reads, never from an error message.
    /// Any other failure throws.
    /// </summary>
    ValueTask<bool> TryInsertEventAsync(StoredRow row, CancellationToken cancellationToken);

    /// <summary>
    /// What a unit's appends must know before they are chained, in one call: the last version of each of
    /// <paramref name="streamIds"/> (0 for a stream with no event; every one asked is in the answer) and the stored
    /// events among <paramref name="eventIds"/> (32 bytes each; absent ones are not in the answer).
    /// </summary>
    ValueTask<AppendProbe> ProbeAsync(IReadOnlyCollection<string> streamIds, IReadOnlyCollection<byte[]> eventIds, CancellationToken cancellationToken);

    /// <summary>
    /// Inserts the rows (consecutive positions, as chained by the caller) all or none. Returns false when any of them
    /// is refused for a uniqueness reason (position, event_id or stream version taken, also within the set itself), or
    /// when a stream of the set is not stored at the version just before its first row in the set (so a caller may
    /// insert on a version it assumed, unread): then none of the set was written, and the caller tells which from the
    /// state it reads. Any other failure throws,
    /// and the caller's unit must then fail so that its savepoint is rolled back.
    /// </summary>
    ValueTask<bool> TryInsertEventsAsync(IReadOnlyList<StoredRow> rows, CancellationToken cancellationToken);

    /// <summary>The recorded outcome of a command id, for idempotent replay; null when none.</summary>
    /// <param name="commandId">The command id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The outcome and its content hash, or null.</returns>
    ValueTask<StoredOutcome?> FindOutcomeAsync(string commandId, CancellationToken cancellationToken);

    /// <summary>Appends an outcome to the outcome chain.</summary>
    /// <param name="row">The outcome's chained columns.</param>
    /// <param name="prevHash">The previous outcome's hash (32 bytes).</param>
    /// <param name="rowHash">This outcome's hash (32 bytes).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when it is inserted.</returns>
    ValueTask InsertOutcomeAsync(OutcomeRow row, byte[] prevHash, byte[] rowHash, CancellationToken cancellationToken);

    /// <summary>A connector instance's cursor; null before its first sync.</summary>
    /// <param name="connectorId">The instance, <c>&lt;connector&gt;@&lt;tenant&gt;</c>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The cursor, or null.</returns>
    ValueTask<ConnectorCursor?> ReadCursorAsync(string connectorId, CancellationToken cancellationToken);

    /// <summary>Sets a connector instance's cursor, committed with the events its page appended.</summary>
    /// <param name="cursor">The cursor.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when it is written.</returns>
    ValueTask WriteCursorAsync(ConnectorCursor cursor, CancellationToken cancellationToken);

    /// <summary>The egress outbox in this transaction (enqueue and conditional moves beside their events).</summary>
    IOutboxWrites Outbox { get; }
}
