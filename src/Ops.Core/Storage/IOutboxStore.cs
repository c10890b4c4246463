namespace Ops.Core.Storage;

/// <summary>
/// Reads of the egress outbox outside the writer (constitution A3, A9): each call sees committed rows only. Every
/// change of a request goes through <see cref="IOutboxWrites"/> in the writer's transaction, beside the event that
/// records it.
/// </summary>
public interface IOutboxStore
{
    /// <summary>The request, or null.</summary>
    ValueTask<EgressRow?> FindAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>Requests in <paramref name="status"/> (every status when null), oldest first; <paramref name="limit"/> 1 to 10,000.</summary>
    ValueTask<IReadOnlyList<EgressRow>> ListAsync(string? status, int limit, CancellationToken cancellationToken);

    /// <summary>Every engaged kill switch.</summary>
    ValueTask<IReadOnlyList<EgressSwitch>> SwitchesAsync(CancellationToken cancellationToken);
}
