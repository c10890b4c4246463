using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Ops.Core.Envelopes;
using Ops.Core.Log;
using Ops.Core.Packs;
using Ops.Core.Storage;

namespace Ops.Core.Projections;

/// <summary>
/// Keeps every registered projection up to date (constitution A6): live, it folds events after its
/// checkpoint in log order; when a projection is new or its version changed, it rebuilds from the
/// log in canonical order. Documents and the checkpoint commit in one transaction on the
/// projection's routed database, so a crash never leaves them apart.
/// </summary>
[Authority(AuthorityClass.ProjectionRunner, "projection_documents", "projection_checkpoints")]
internal sealed class ProjectionEngine(KernelRegistry registry, SqliteEventLog log, Func<string, SqliteDatabase> databaseFor, TimeProvider time, ILogger logger)
{
    private const int PageSize = 2_000;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Brings every projection (or the named ones) up to the log's head; returns the head position reached.</summary>
    public async ValueTask<long> CatchUpAsync(IEnumerable<string>? only, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var head = await log.HeadPositionAsync(cancellationToken);
            foreach (var projection in Select(only))
            {
                var checkpoint = await ReadCheckpointAsync(projection, cancellationToken);
                if (checkpoint is null || checkpoint.Value.Version != projection.Version)
                {
                    await RebuildCoreAsync(projection, head, cancellationToken);
                }
                else if (checkpoint.Value.Position < head)
                {
                    await FoldLiveAsync(projection, checkpoint.Value.Position, head, cancellationToken);
                }
            }

            return head;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Drops a projection's documents and folds the whole log into it again in canonical order.</summary>
    public async ValueTask RebuildAsync(string projectionName, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var projection = registry.Projections[projectionName];
            await RebuildCoreAsync(projection, await log.HeadPositionAsync(cancellationToken), cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>How many events the projection is behind the log head.</summary>
    public async ValueTask<long> LagAsync(string projectionName, CancellationToken cancellationToken)
    {
        var head = await log.HeadPositionAsync(cancellationToken);
        var checkpoint = await ReadCheckpointAsync(registry.Projections[projectionName], cancellationToken);
        return head - (checkpoint?.Position ?? 0);
    }

    /// <summary>SHA-256 over the projection's documents ordered by key: equal hashes mean byte-identical state.</summary>
    public async ValueTask<string> StateHashAsync(string projectionName, CancellationToken cancellationToken)
    {
        var projection = registry.Projections[projectionName];
        await using var connection = databaseFor(projection.ResourceKind).Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT doc_key, document FROM projection_documents WHERE projection = $p ORDER BY doc_key";
        command.Parameters.AddWithValue("$p", projection.Name);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var length = new byte[4];
        while (await reader.ReadAsync(cancellationToken))
        {
            foreach (var part in new[] { Encoding.UTF8.GetBytes(reader.GetString(0)), (byte[])reader.GetValue(1) })
            {
                BinaryPrimitives.WriteInt32LittleEndian(length, part.Length);
                hash.AppendData(length);
                hash.AppendData(part);
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private IEnumerable<ProjectionRegistration> Select(IEnumerable<string>? only) =>
        only is null ? registry.Projections.Values : only.Select(n => registry.Projections[n]);

    private async ValueTask FoldLiveAsync(ProjectionRegistration projection, long from, long head, CancellationToken cancellationToken)
    {
        var position = from;
        while (position < head)
        {
            var page = await log.ReadAsync(position, PageSize, cancellationToken);
            if (page.Count == 0)
            {
                break;
            }

            var batch = page.Where(e => e.Position <= head).ToList();
            await ApplyAsync(projection, batch, batch[^1].Position, reset: false, cancellationToken);
            position = batch[^1].Position;
        }
    }

    /// <summary>
    /// Folds the log in canonical order into documents held in memory and writes them sorted by key,
    /// in one transaction with the checkpoint at the end (or, past <see cref="RebuildBufferBytes"/> of
    /// documents, in several transactions of which only the last writes the checkpoint). Measured
    /// (docs/performance.md): writing each page of 2,000 events as it came, with a read of every
    /// document first, put a random B-tree write and a random read behind every event. A rebuild cut
    /// short leaves the old checkpoint, so the next catch-up rebuilds again.
    /// </summary>
    private async ValueTask RebuildCoreAsync(ProjectionRegistration projection, long head, CancellationToken cancellationToken)
    {
        var database = databaseFor(projection.ResourceKind);
        var documents = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        var flushed = new HashSet<string>(StringComparer.Ordinal);
        var trackFlushed = true;
        var reset = true;
        long buffered = 0;
        long count = 0;
        SqliteConnection? reads = null;
        SqliteCommand? load = null;
        try
        {
            await foreach (var e in log.ReadCanonicalAsync(cancellationToken))
            {
                if (e.Position > head || !projection.EventTypes.Contains(e.Envelope.EventType))
                {
                    continue;
                }

                count++;
                byte[]? next;
                try
                {
                    if (projection.KeyOf(e.Envelope) is not { } key)
                    {
                        continue;
                    }

                    if (!documents.TryGetValue(key, out var document) && !reset && (!trackFlushed || flushed.Contains(key)))
                    {
                        // Written by an earlier flush of this rebuild: read it back.
                        if (load is null)
                        {
                            reads = database.Open();
                            load = reads.CreateCommand();
                            load.CommandText = "SELECT document FROM projection_documents WHERE projection = $p AND doc_key = $k";
                            load.Parameters.AddWithValue("$p", projection.Name);
                            load.Parameters.Add("$k", SqliteType.Text);
                        }

                        load.Parameters[1].Value = key;
                        document = await load.ExecuteScalarAsync(cancellationToken) as byte[];
                    }

                    next = projection.Apply(document, e.Envelope);
                    buffered += (next?.Length ?? 0) + key.Length;
                    documents[key] = next;
                }
                catch (Exception ex)
                {
                    CoreLog.ProjectionFailed(logger, projection.Name, e.Position, ex);
                    throw new ProjectionFailedException(projection.Name, e.Position, ex);
                }

                if (buffered > RebuildBufferBytes)
                {
                    await WriteDocumentsAsync(database, projection, documents, reset, checkpoint: null, cancellationToken);
                    reset = false;
                    if (trackFlushed)
                    {
                        flushed.UnionWith(documents.Keys);
                        if (flushed.Count > MaxTrackedKeys)
                        {
                            trackFlushed = false;
                            flushed.Clear();
                        }
                    }

                    documents.Clear();
                    buffered = 0;
                }
            }

            await WriteDocumentsAsync(database, projection, documents, reset, head, cancellationToken);
        }
        finally
        {
            if (load is not null)
            {
                await load.DisposeAsync();
            }

            if (reads is not null)
            {
                await reads.DisposeAsync();
            }
        }

        CoreLog.ProjectionRebuilt(logger, projection.Name, projection.Version, count);
    }

    /// <summary>Documents in memory beyond which a rebuild writes what it holds before going on.</summary>
    private const long RebuildBufferBytes = 64L * 1024 * 1024;

    /// <summary>Keys a rebuild remembers as written; past it, every key not in memory is read back first.</summary>
    private const int MaxTrackedKeys = 4_000_000;

    private async ValueTask WriteDocumentsAsync(SqliteDatabase database, ProjectionRegistration projection, Dictionary<string, byte[]?> documents, bool reset, long? checkpoint, CancellationToken cancellationToken)
    {
        var gate = WriteGate.For(database);
        await gate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = database.Open();
            await RelaxSynchronousAsync(database, connection, cancellationToken);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            if (reset)
            {
                await using var clear = connection.CreateCommand();
                clear.Transaction = transaction;
                clear.CommandText = "DELETE FROM projection_documents WHERE projection = $p";
                clear.Parameters.AddWithValue("$p", projection.Name);
                await clear.ExecuteNonQueryAsync(cancellationToken);
            }

            await WriteDocumentsAsync(connection, transaction, projection.Name, documents, cancellationToken);

            if (checkpoint is { } position)
            {
                await SaveCheckpointAsync(connection, transaction, projection, position, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Upserts documents and deletes the removed ones (null), in key order so the writes walk the primary key's B-tree in order.</summary>
    private static async ValueTask WriteDocumentsAsync(SqliteConnection connection, SqliteTransaction transaction, string projection, IReadOnlyDictionary<string, byte[]?> documents, CancellationToken cancellationToken)
    {
        var keys = documents.Keys.ToArray();
        Array.Sort(keys, StringComparer.Ordinal);
        await using var upsert = connection.CreateCommand();
        upsert.Transaction = transaction;
        upsert.CommandText = "INSERT INTO projection_documents (projection, doc_key, document) VALUES ($p, $k, $d) ON CONFLICT (projection, doc_key) DO UPDATE SET document = excluded.document";
        upsert.Parameters.AddWithValue("$p", projection);
        var upsertKey = upsert.Parameters.Add("$k", SqliteType.Text);
        var upsertDoc = upsert.Parameters.Add("$d", SqliteType.Blob);
        await using var remove = connection.CreateCommand();
        remove.Transaction = transaction;
        remove.CommandText = "DELETE FROM projection_documents WHERE projection = $p AND doc_key = $k";
        remove.Parameters.AddWithValue("$p", projection);
        var removeKey = remove.Parameters.Add("$k", SqliteType.Text);
        foreach (var key in keys)
        {
            if (documents[key] is { } document)
            {
                upsertKey.Value = key;
                upsertDoc.Value = document;
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }
            else
            {
                removeKey.Value = key;
                await remove.ExecuteNonQueryAsync(cancellationToken);
            }
        }
    }

    private async ValueTask SaveCheckpointAsync(SqliteConnection connection, SqliteTransaction transaction, ProjectionRegistration projection, long checkpoint, CancellationToken cancellationToken)
    {
        await using var save = connection.CreateCommand();
        save.Transaction = transaction;
        save.CommandText = "INSERT INTO projection_checkpoints (projection, version, position, updated_at) VALUES ($p, $v, $pos, $at) ON CONFLICT (projection) DO UPDATE SET version = excluded.version, position = excluded.position, updated_at = excluded.updated_at";
        save.Parameters.AddWithValue("$p", projection.Name);
        save.Parameters.AddWithValue("$v", projection.Version);
        save.Parameters.AddWithValue("$pos", checkpoint);
        save.Parameters.AddWithValue("$at", time.GetUtcNow().UtcTicks);
        await save.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Projection documents are derived data: a commit lost to power loss takes its checkpoint with it
    /// (WAL keeps the file a consistent prefix), and the next catch-up folds those events again. So they
    /// need no flush of their own; the log's commits stay synchronous=FULL. Saves one flush per
    /// catch-up (docs/performance.md). The pool re-applies the database's setting on the next Open().
    /// </summary>
    private static async ValueTask RelaxSynchronousAsync(SqliteDatabase database, SqliteConnection connection, CancellationToken cancellationToken)
    {
        if (!database.IsInMemory && database.Synchronous == "FULL")
        {
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous=NORMAL";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private async ValueTask ApplyAsync(ProjectionRegistration projection, IReadOnlyList<LoggedEvent> events, long checkpoint, bool reset, CancellationToken cancellationToken)
    {
        var database = databaseFor(projection.ResourceKind);
        var gate = WriteGate.For(database);
        await gate.WaitAsync(cancellationToken);
        try
        {
            await ApplyLockedAsync(database, projection, events, checkpoint, reset, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    private async ValueTask ApplyLockedAsync(SqliteDatabase database, ProjectionRegistration projection, IReadOnlyList<LoggedEvent> events, long checkpoint, bool reset, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await RelaxSynchronousAsync(database, connection, cancellationToken);

        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        if (reset)
        {
            await using var clear = connection.CreateCommand();
            clear.Transaction = transaction;
            clear.CommandText = "DELETE FROM projection_documents WHERE projection = $p";
            clear.Parameters.AddWithValue("$p", projection.Name);
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        var dirty = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        await using var load = connection.CreateCommand();
        load.Transaction = transaction;
        load.CommandText = "SELECT document FROM projection_documents WHERE projection = $p AND doc_key = $k";
        load.Parameters.AddWithValue("$p", projection.Name);
        var keyParameter = load.Parameters.Add("$k", SqliteType.Text);
        var current = LoggedEvent.Placeholder;
        try
        {
            foreach (var e in events)
            {
                current = e;
                if (!projection.EventTypes.Contains(e.Envelope.EventType) || projection.KeyOf(e.Envelope) is not { } key)
                {
                    continue;
                }

                if (!dirty.TryGetValue(key, out var document))
                {
                    keyParameter.Value = key;
                    document = await load.ExecuteScalarAsync(cancellationToken) as byte[];
                }

                dirty[key] = projection.Apply(document, e.Envelope);
            }
        }
        catch (Exception ex)
        {
            CoreLog.ProjectionFailed(logger, projection.Name, current.Position, ex);
            throw new ProjectionFailedException(projection.Name, current.Position, ex);
        }

        await WriteDocumentsAsync(connection, transaction, projection.Name, dirty, cancellationToken);
        await SaveCheckpointAsync(connection, transaction, projection, checkpoint, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private async ValueTask<(int Version, long Position)?> ReadCheckpointAsync(ProjectionRegistration projection, CancellationToken cancellationToken)
    {
        await using var connection = databaseFor(projection.ResourceKind).Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT version, position FROM projection_checkpoints WHERE projection = $p";
        command.Parameters.AddWithValue("$p", projection.Name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt32(0), reader.GetInt64(1)) : null;
    }
}

/// <summary>A projection's fold threw; its documents and checkpoint stay as they were before the batch.</summary>
public sealed class ProjectionFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projection">The projection.</param>
    /// <param name="position">Log position of the event it failed on.</param>
    /// <param name="inner">The fold's exception.</param>
    public ProjectionFailedException(string projection, long position, Exception inner)
        : base($"Projection {projection} failed on the event at position {position}: {inner?.Message} Its documents and checkpoint were not changed.", inner)
    {
        Projection = projection;
        Position = position;
    }

    /// <summary>The projection.</summary>
    public string Projection { get; }

    /// <summary>Log position of the event it failed on.</summary>
    public long Position { get; }
}
