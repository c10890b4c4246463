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

    private async ValueTask RebuildCoreAsync(ProjectionRegistration projection, long head, CancellationToken cancellationToken)
    {
        var batch = new List<LoggedEvent>(PageSize);
        var first = true;
        long count = 0;
        await foreach (var e in log.ReadCanonicalAsync(cancellationToken))
        {
            if (e.Position > head || !projection.EventTypes.Contains(e.Envelope.EventType))
            {
                continue;
            }

            batch.Add(e);
            count++;
            if (batch.Count == PageSize)
            {
                await ApplyAsync(projection, batch, head, reset: first, cancellationToken);
                first = false;
                batch.Clear();
            }
        }

        await ApplyAsync(projection, batch, head, reset: first, cancellationToken);
        CoreLog.ProjectionRebuilt(logger, projection.Name, projection.Version, count);
    }

    private async ValueTask ApplyAsync(ProjectionRegistration projection, IReadOnlyList<LoggedEvent> events, long checkpoint, bool reset, CancellationToken cancellationToken)
    {
        await using var connection = databaseFor(projection.ResourceKind).Open();
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

        await using var upsert = connection.CreateCommand();
        upsert.Transaction = transaction;
        upsert.CommandText = "INSERT INTO projection_documents (projection, doc_key, document) VALUES ($p, $k, $d) ON CONFLICT (projection, doc_key) DO UPDATE SET document = excluded.document";
        upsert.Parameters.AddWithValue("$p", projection.Name);
        var upsertKey = upsert.Parameters.Add("$k", SqliteType.Text);
        var upsertDoc = upsert.Parameters.Add("$d", SqliteType.Blob);
        await using var remove = connection.CreateCommand();
        remove.Transaction = transaction;
        remove.CommandText = "DELETE FROM projection_documents WHERE projection = $p AND doc_key = $k";
        remove.Parameters.AddWithValue("$p", projection.Name);
        var removeKey = remove.Parameters.Add("$k", SqliteType.Text);
        foreach (var (key, document) in dirty)
        {
            if (document is null)
            {
                removeKey.Value = key;
                await remove.ExecuteNonQueryAsync(cancellationToken);
            }
            else
            {
                upsertKey.Value = key;
                upsertDoc.Value = document;
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await using var save = connection.CreateCommand();
        save.Transaction = transaction;
        save.CommandText = "INSERT INTO projection_checkpoints (projection, version, position, updated_at) VALUES ($p, $v, $pos, $at) ON CONFLICT (projection) DO UPDATE SET version = excluded.version, position = excluded.position, updated_at = excluded.updated_at";
        save.Parameters.AddWithValue("$p", projection.Name);
        save.Parameters.AddWithValue("$v", projection.Version);
        save.Parameters.AddWithValue("$pos", checkpoint);
        save.Parameters.AddWithValue("$at", time.GetUtcNow().UtcTicks);
        await save.ExecuteNonQueryAsync(cancellationToken);
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
