namespace Ops.Core.Storage;

/// <summary>
/// The log writer's own connection. A batch begins with <see cref="BeginAsync"/>, which also takes whatever the
/// engine needs so that this writer alone appends until it commits: SQLite's write lock (and the in-process gate),
/// PostgreSQL's transaction-scoped advisory lock on the chain, so several workers on several machines append
/// one chain, batch after batch, and positions commit in order.
/// </summary>
public interface IWriterConnection : IAsyncDisposable
{
    /// <summary>Begins one batch transaction, waiting for the engine's append lock.</summary>
    ValueTask<IWriteTransaction> BeginAsync(CancellationToken cancellationToken);
}
