using Ops.Core.Envelopes;

namespace Ops.Core.Log;

/// <summary>
/// Reads the append-only log (constitution A6). Appends go through the command gateway and the
/// connector runner only, never through this interface.
/// </summary>
public interface IEventLog
{
    /// <summary>Reads events after a position, in position (append) order.</summary>
    /// <param name="afterPosition">Exclusive lower bound; 0 for the start.</param>
    /// <param name="limit">Most events to return, 1 to 10,000.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Up to <paramref name="limit"/> events.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A bound is out of range.</exception>
    ValueTask<IReadOnlyList<LoggedEvent>> ReadAsync(long afterPosition, int limit, CancellationToken cancellationToken);

    /// <summary>Reads every event in canonical order: (occurred_at, source_ref, source_sequence, event_id) (constitution A6).</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The events, streamed.</returns>
    IAsyncEnumerable<LoggedEvent> ReadCanonicalAsync(CancellationToken cancellationToken);

    /// <summary>Reads one stream in version order.</summary>
    /// <param name="streamId">The full stream id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The events, oldest first; empty when the stream does not exist.</returns>
    ValueTask<IReadOnlyList<LoggedEvent>> ReadStreamAsync(string streamId, CancellationToken cancellationToken);

    /// <summary>The last position in the log, 0 when empty.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The head position.</returns>
    ValueTask<long> HeadPositionAsync(CancellationToken cancellationToken);

    /// <summary>Recomputes the hash chain from position 1 and names the first position where it breaks.</summary>
    /// <param name="progress">Receives the number of rows checked, every 100,000 rows.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The verification result.</returns>
    ValueTask<LogVerification> VerifyAsync(IProgress<long>? progress, CancellationToken cancellationToken);
}
