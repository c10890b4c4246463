using Ops.Core.Projections;

namespace Ops.Core.Storage;

/// <summary>
/// Projection documents keyed by (projection, tenant_id, mode, doc_key) and one checkpoint per projection.
/// Documents and checkpoint change together in one <see cref="IProjectionWrite"/>; derived data, so an engine may
/// commit them with a weaker flush than the log's (a lost commit loses its checkpoint with it).
/// </summary>
public interface IProjectionStore
{
    /// <summary>A projection's checkpoint; null when it has none.</summary>
    /// <param name="projection">The projection's name.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The checkpoint, or null.</returns>
    ValueTask<ProjectionCheckpoint?> ReadCheckpointAsync(string projection, CancellationToken cancellationToken);

    /// <summary>Every checkpoint, for the start check (a projection ahead of the log).</summary>
    ValueTask<IReadOnlyList<(string Projection, ProjectionCheckpoint Checkpoint)>> ReadCheckpointsAsync(CancellationToken cancellationToken);

    /// <summary>One write transaction (taking the engine's write gate for this database).</summary>
    ValueTask<IProjectionWrite> BeginWriteAsync(CancellationToken cancellationToken);

    /// <summary>One read snapshot (checkpoint and documents as of the same instant).</summary>
    ValueTask<IProjectionRead> BeginReadAsync(CancellationToken cancellationToken);
}

/// <summary>A projection write transaction.</summary>
public interface IProjectionWrite : IAsyncDisposable
{
    /// <summary>A document inside this write, as written so far; null when absent.</summary>
    /// <param name="projection">The projection's name.</param>
    /// <param name="address">The document's tenant, mode and key.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The document's bytes (UTF-8 JSON), or null.</returns>
    ValueTask<byte[]?> LoadAsync(string projection, DocumentAddress address, CancellationToken cancellationToken);

    /// <summary>Deletes every document of the projection and its checkpoint (a rebuild's first write).</summary>
    ValueTask ClearAsync(string projection, CancellationToken cancellationToken);

    /// <summary>Upserts the documents and deletes those mapped to null, in address order.</summary>
    ValueTask WriteDocumentsAsync(string projection, IReadOnlyDictionary<DocumentAddress, byte[]?> documents, CancellationToken cancellationToken);

    /// <summary>Sets the projection's checkpoint, committed with the documents.</summary>
    /// <param name="projection">The projection's name.</param>
    /// <param name="checkpoint">Its version, position and time.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when it is written.</returns>
    ValueTask SaveCheckpointAsync(string projection, ProjectionCheckpoint checkpoint, CancellationToken cancellationToken);

    /// <summary>
    /// The checkpoint as this transaction sees it, under the engine's write lock: a live fold commits only while it
    /// is still the one the fold started from, so two workers never fold one page twice (seed 004: exactly once by
    /// conditional update).
    /// </summary>
    ValueTask<ProjectionCheckpoint?> ReadCheckpointAsync(string projection, CancellationToken cancellationToken);

    /// <summary>Commits the documents and checkpoints of this write atomically; disposing without it rolls back.</summary>
    /// <param name="cancellationToken">Cancels the commit.</param>
    /// <returns>A task that completes when it is durable.</returns>
    ValueTask CommitAsync(CancellationToken cancellationToken);
}

/// <summary>A projection read snapshot.</summary>
public interface IProjectionRead : IAsyncDisposable
{
    /// <summary>A projection's checkpoint in this read's snapshot; null when it has none.</summary>
    /// <param name="projection">The projection's name.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The checkpoint, or null.</returns>
    ValueTask<ProjectionCheckpoint?> ReadCheckpointAsync(string projection, CancellationToken cancellationToken);

    /// <summary>A document in this read's snapshot; null when absent.</summary>
    /// <param name="projection">The projection's name.</param>
    /// <param name="address">The document's tenant, mode and key.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The document's bytes (UTF-8 JSON), or null.</returns>
    ValueTask<byte[]?> GetAsync(string projection, DocumentAddress address, CancellationToken cancellationToken);

    /// <summary>One tenant's and mode's documents of a projection, by doc_key (ordinal).</summary>
    IAsyncEnumerable<(string Key, byte[] Document)> ListAsync(string projection, string tenantId, string mode, CancellationToken cancellationToken);

    /// <summary>Every document of a projection ordered by (tenant_id, mode, doc_key) as UTF-8 bytes (state hashes).</summary>
    IAsyncEnumerable<(DocumentAddress Address, byte[] Document)> ScanAsync(string projection, CancellationToken cancellationToken);
}
