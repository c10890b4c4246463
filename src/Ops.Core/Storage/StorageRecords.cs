using Ops.Core.Envelopes;
using Ops.Core.Log;

namespace Ops.Core.Storage;

/// <summary>A log row as stored: the chained columns and the two hashes.</summary>
public sealed record StoredRow(ChainRow Row, byte[] PrevHash, byte[] RowHash);

/// <summary>
/// The answer of <see cref="IWriteTransaction.ProbeAsync"/>: each stream asked with its last version (0 when it has
/// none), and the stored events among the event_ids asked, by event_id bytes (<see cref="EventIdComparer"/>).
/// </summary>
public sealed record AppendProbe(IReadOnlyDictionary<string, long> Versions, IReadOnlyDictionary<byte[], LoggedEvent> Existing);

/// <summary>Compares event_ids (and other hash keys) by their bytes.</summary>
public sealed class EventIdComparer : IEqualityComparer<byte[]>
{
    /// <summary>The one instance.</summary>
    public static readonly EventIdComparer Instance = new();

    /// <inheritdoc/>
    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    /// <inheritdoc/>
    public int GetHashCode(byte[] obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        // event_ids are SHA-256 outputs: their first bytes are already uniformly spread.
        return obj.Length >= 4 ? BitConverter.ToInt32(obj, 0) : obj.Length;
    }
}

/// <summary>
/// The set-based append calls of <see cref="IWriteTransaction"/> as a loop over its row calls, for engines where a
/// statement is no network round trip (SQLite) or where the loop is not slower than a set statement would be.
/// </summary>
public static class RowAtATime
{
    private const string Savepoint = "ops_rows";

    /// <summary><see cref="IWriteTransaction.ProbeAsync"/> as one call per stream and per event id.</summary>
    /// <param name="transaction">The engine's transaction.</param>
    /// <param name="streamIds">The streams whose versions to read.</param>
    /// <param name="eventIds">The event ids to look up.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The versions and the events that exist.</returns>
    public static async ValueTask<AppendProbe> ProbeAsync(IWriteTransaction transaction, IReadOnlyCollection<string> streamIds, IReadOnlyCollection<byte[]> eventIds, CancellationToken cancellationToken)
    {
        var versions = new Dictionary<string, long>(streamIds.Count, StringComparer.Ordinal);
        foreach (var streamId in streamIds)
        {
            versions[streamId] = await transaction.StreamVersionAsync(streamId, cancellationToken);
        }

        var existing = new Dictionary<byte[], LoggedEvent>(EventIdComparer.Instance);
        foreach (var eventId in eventIds)
        {
            if (!existing.ContainsKey(eventId) && await transaction.FindEventAsync(eventId, cancellationToken) is { } found)
            {
                existing[eventId] = found;
            }
        }

        return new AppendProbe(versions, existing);
    }

    /// <summary>
    /// Each stream's version checked first (one read per stream); then one row needs nothing more (a statement is
    /// atomic), and several run in a savepoint of their own, undone when one is refused.
    /// </summary>
    /// <summary><see cref="IWriteTransaction.TryInsertEventsAsync"/> as one insert per row under a savepoint: all rows or none.</summary>
    /// <param name="transaction">The engine's transaction.</param>
    /// <param name="rows">The rows, in position order.</param>
    /// <param name="cancellationToken">Cancels the inserts.</param>
    /// <returns>False, with nothing inserted, when a row conflicts.</returns>
    public static async ValueTask<bool> TryInsertEventsAsync(IWriteTransaction transaction, IReadOnlyList<StoredRow> rows, CancellationToken cancellationToken)
    {
        var checkedStreams = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (checkedStreams.Add(row.Row.StreamId) && await transaction.StreamVersionAsync(row.Row.StreamId, cancellationToken) != row.Row.StreamVersion - 1)
            {
                return false;
            }
        }

        if (rows.Count == 1)
        {
            return await transaction.TryInsertEventAsync(rows[0], cancellationToken);
        }

        await transaction.SaveAsync(Savepoint, cancellationToken);
        foreach (var row in rows)
        {
            if (!await transaction.TryInsertEventAsync(row, cancellationToken))
            {
                await transaction.RollbackToAsync(Savepoint, cancellationToken);
                await transaction.ReleaseAsync(Savepoint, cancellationToken);
                return false;
            }
        }

        await transaction.ReleaseAsync(Savepoint, cancellationToken);
        return true;
    }
}

/// <summary>A command outcome as the idempotency lookup needs it.</summary>
public sealed record StoredOutcome(CommandOutcome Outcome, string ContentHash);

/// <summary>A chained outcome row as stored.</summary>
public sealed record StoredOutcomeRow(OutcomeRow Row, byte[] PrevHash, byte[] RowHash);

/// <summary>A connector's durable cursor (constitution A8).</summary>
/// <param name="ConnectorId">The connector.</param>
/// <param name="Cursor">Cursor of the next page, null when the last sync completed.</param>
/// <param name="Watermark">The newest source time seen.</param>
/// <param name="Pages">Pages pulled by the current or last sync.</param>
/// <param name="UpdatedAtTicks">When it was written (UTC ticks).</param>
/// <param name="CompletedAtTicks">When the last sync completed, if it did.</param>
public sealed record ConnectorCursor(string ConnectorId, string? Cursor, string? Watermark, int Pages, long UpdatedAtTicks, long? CompletedAtTicks);

/// <summary>A projection's checkpoint: the version that wrote it and the log position it covers.</summary>
public readonly record struct ProjectionCheckpoint(int Version, long Position, long UpdatedAtTicks);
