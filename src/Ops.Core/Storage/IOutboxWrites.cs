namespace Ops.Core.Storage;

/// <summary>
/// The outbox inside one writer transaction (seed 004: outbox owns delivery state). A request is inserted in the
/// transaction of the command that asked for it (constitution A9: egress enqueue is atomic with the command's events);
/// it moves only by <see cref="TryMoveAsync"/>, a conditional update on its current status, so of two workers (or a
/// worker and its restarted self) at most one moves it. Engines prepare nothing here that outlives the transaction.
/// </summary>
public interface IOutboxWrites
{
    /// <summary>Inserts a request; false (nothing written) when its request_id or idempotency key is already there.</summary>
    ValueTask<bool> TryEnqueueAsync(EgressRow row, CancellationToken cancellationToken);

    /// <summary>
    /// <c>UPDATE … SET status = to WHERE request_id = @id AND status = @from</c> (and, for a re-claim, an expired lease).
    /// Returns whether the row moved; false means another worker moved it first or it is not in <c>from</c>.
    /// </summary>
    ValueTask<bool> TryMoveAsync(EgressMove move, CancellationToken cancellationToken);

    /// <summary>The request as this transaction sees it, or null.</summary>
    ValueTask<EgressRow?> FindAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>
    /// Approved requests, and dispatched or compensating ones whose lease ended at or before <paramref name="nowTicks"/>, oldest first,
    /// at most <paramref name="limit"/>; first dispatches to a destination in <paramref name="atQuota"/> are left out, so a
    /// destination waiting for its quota window cannot fill the batch and hold back the others. PostgreSQL locks the rows
    /// it returns with <c>FOR UPDATE SKIP LOCKED</c> until the transaction ends, so concurrent claimers pass each other's rows by.
    /// </summary>
    ValueTask<IReadOnlyList<EgressRow>> ClaimableAsync(long nowTicks, int limit, IReadOnlyList<string> atQuota, CancellationToken cancellationToken);

    /// <summary>Claimable requests with no destination left out (<see cref="ClaimableAsync(long, int, IReadOnlyList{string}, CancellationToken)"/>).</summary>
    ValueTask<IReadOnlyList<EgressRow>> ClaimableAsync(long nowTicks, int limit, CancellationToken cancellationToken) =>
        ClaimableAsync(nowTicks, limit, [], cancellationToken);

    /// <summary>Requests in any of <paramref name="statuses"/>, oldest first, at most <paramref name="limit"/>.</summary>
    ValueTask<IReadOnlyList<EgressRow>> InStatusAsync(IReadOnlyList<string> statuses, int limit, CancellationToken cancellationToken);

    /// <summary>How many requests to <paramref name="destination"/> were first dispatched at or after <paramref name="sinceTicks"/> (quotas).</summary>
    ValueTask<long> CountDispatchedSinceAsync(string destination, long sinceTicks, CancellationToken cancellationToken);

    /// <summary>First dispatches to <paramref name="destination"/> of <paramref name="tenantId"/>'s requests at or after <paramref name="sinceTicks"/> (UTC ticks).</summary>
    ValueTask<long> CountDispatchedSinceAsync(string destination, string tenantId, long sinceTicks, CancellationToken cancellationToken);

    /// <summary>Every engaged kill switch, as this transaction sees them.</summary>
    ValueTask<IReadOnlyList<EgressSwitch>> SwitchesAsync(CancellationToken cancellationToken);

    /// <summary>Engages (<paramref name="engaged"/> with a reason) or releases a switch; returns whether that changed anything.</summary>
    ValueTask<bool> SetSwitchAsync(string scope, bool engaged, string? reason, long atTicks, CancellationToken cancellationToken);
}
