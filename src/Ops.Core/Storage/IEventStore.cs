using Ops.Core.Envelopes;
using Ops.Core.Log;
using Ops.Core.Log.Integrity;

namespace Ops.Core.Storage;

/// <summary>Reads of the log and of the outcome chain outside the writer; each call sees committed rows only.</summary>
public interface IEventStore
{
    /// <summary>Events after a position, in position order; <paramref name="limit"/> 1 to 10,000.</summary>
    ValueTask<IReadOnlyList<LoggedEvent>> ReadAsync(long afterPosition, int limit, CancellationToken cancellationToken);

    /// <summary>Every event in canonical order (occurred_at, source_ref, source_sequence NULLs first, event_id bytes) (constitution A6).</summary>
    IAsyncEnumerable<LoggedEvent> ReadCanonicalAsync(CancellationToken cancellationToken);

    /// <summary>Every event of one stream, in stream-version order; empty for an unknown stream.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The events.</returns>
    ValueTask<IReadOnlyList<LoggedEvent>> ReadStreamAsync(string streamId, CancellationToken cancellationToken);

    /// <summary>Events of every stream whose id starts with <paramref name="prefix"/>, in position order (e.g. <c>core:pack-</c>).</summary>
    IAsyncEnumerable<LoggedEvent> ReadStreamsWithPrefixAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Events of type <c>core.*</c> after a position, in position order.</summary>
    IAsyncEnumerable<LoggedEvent> ReadCoreEventsAsync(long afterPosition, CancellationToken cancellationToken);

    /// <summary>The position of the last event; 0 for an empty log.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The head position.</returns>
    ValueTask<long> HeadPositionAsync(CancellationToken cancellationToken);

    /// <summary>Both heads (log and outcome chain) in one snapshot.</summary>
    ValueTask<Log.Checkpoints.LogHeads> ReadHeadsAsync(CancellationToken cancellationToken);

    /// <summary>The stored row_hash at each of <paramref name="positions"/> that exists (checkpoint anchors).</summary>
    ValueTask<IReadOnlyDictionary<long, byte[]>> RowHashesAtAsync(IEnumerable<long> positions, CancellationToken cancellationToken);

    /// <summary>The stored outcome row_hash at each seq that exists.</summary>
    ValueTask<IReadOnlyDictionary<long, byte[]>> OutcomeHashesAtAsync(IEnumerable<long> seqs, CancellationToken cancellationToken);

    /// <summary>
    /// Feeds every stored row from <paramref name="fromPosition"/> to <paramref name="toPosition"/> (inclusive) into the
    /// scanner, in position order, until it breaks. Engines may feed the columns straight from their buffers.
    /// </summary>
    ValueTask ScanChainAsync(ChainScanner scanner, long fromPosition, long toPosition, IProgress<long>? progress, CancellationToken cancellationToken);

    /// <summary>Stored rows with their hashes, in position order (exports).</summary>
    IAsyncEnumerable<StoredRow> ReadRowsAsync(long fromPosition, long toPosition, CancellationToken cancellationToken);

    /// <summary>Every chained outcome in seq order, and how many outcomes predate the chain (no seq).</summary>
    IAsyncEnumerable<StoredOutcomeRow> ReadOutcomeRowsAsync(CancellationToken cancellationToken);

    /// <summary>Outcomes recorded before the outcome chain existed (no hash), which verification reports but cannot check.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The count.</returns>
    ValueTask<long> CountUnchainedOutcomesAsync(CancellationToken cancellationToken);

    /// <summary>The schema of the log's tables as stored now; null where the engine does not describe it.</summary>
    ValueTask<LogSchema?> ReadLogSchemaAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The schema the migrations create for the log's tables, worked out by running them where they cannot touch this
    /// database's own tables (a fresh in-memory database, or a scratch schema rolled back), never read from this
    /// database's catalogue, which an attacker may have changed; null where the engine does not describe it.
    /// </summary>
    ValueTask<LogSchema?> ExpectedLogSchemaAsync(CancellationToken cancellationToken);
}
