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
/// <para>
/// Tenancy by construction (seed 001): every event folds into the document at
/// (tenant, mode, key), the tenant and mode taken from the event's envelope scope (a projection that
/// spans tenants uses <see cref="DocumentAddress.AllTenants"/> for the tenant), so a fold never sees
/// another tenant's document and no document mixes tenants.
/// </para>
/// </summary>
[Authority(AuthorityClass.ProjectionRunner, "projection_documents", "projection_checkpoints")]
internal sealed class ProjectionEngine(KernelRegistry registry, SqliteEventLog log, Func<string, SqliteDatabase> databaseFor, TimeProvider time, ILogger logger)
{
    private const int PageSize = 2_000;
    private const string LoadSql = "SELECT document FROM projection_documents WHERE projection = $p AND tenant_id = $t AND mode = $m AND doc_key = $k";
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

    /// <summary>
    /// The projection's stored state hash (<see cref="StateHash"/>: every document with its tenant, mode
    /// and key): equal hashes mean byte-identical state, tenants included.
    /// </summary>
    public async ValueTask<string> StateHashAsync(string projectionName, CancellationToken cancellationToken)
    {
        var projection = registry.Projections[projectionName];
        await using var connection = databaseFor(projection.ResourceKind).Open();
        using var hash = new StateHash();
        await foreach (var (address, document) in ReadStoredAsync(connection, null, projection, cancellationToken))
        {
            hash.Append(address, document);
        }

        return hash.Finish();
    }

    /// <summary>
    /// Checks the stored documents against the log without changing anything: folds, in memory and in
    /// canonical order, every event up to the stored checkpoint (what live processing had folded when
    /// it wrote them), and compares its state hash with the stored one, naming the first document
    /// (in state-hash order) that differs. The checkpoint and documents are read in one read
    /// transaction, so a worker committing meanwhile cannot make them disagree. Holds the rebuilt
    /// documents in memory.
    /// </summary>
    public async ValueTask<ProjectionVerification> VerifyAsync(string projectionName, CancellationToken cancellationToken)
    {
        var projection = registry.Projections[projectionName];
        await using var connection = databaseFor(projection.ResourceKind).Open();
        await using var snapshot = connection.BeginTransaction(deferred: true);
        var checkpoint = await ReadCheckpointAsync(connection, snapshot, projection, cancellationToken);
        var status = checkpoint is null ? ProjectionVerificationStatus.NotBuilt
            : checkpoint.Value.Version != projection.Version ? ProjectionVerificationStatus.VersionChanged
            : ProjectionVerificationStatus.Match;
        var position = checkpoint?.Position ?? 0;
        var rebuilt = status == ProjectionVerificationStatus.Match ? await FoldInMemoryAsync(projection, position, cancellationToken) : [];

        using var stored = new StateHash();
        using var expected = new StateHash();
        var next = 0;
        string? difference = null;
        await foreach (var (address, document) in ReadStoredAsync(connection, snapshot, projection, cancellationToken))
        {
            stored.Append(address, document);
            while (next < rebuilt.Count && EncodedAddress.Compare(rebuilt[next].Address, address) < 0)
            {
                difference ??= $"{rebuilt[next].Address}: missing from the stored documents";
                expected.Append(rebuilt[next].Address, rebuilt[next].Document);
                next++;
            }

            if (next < rebuilt.Count && EncodedAddress.Compare(rebuilt[next].Address, address) == 0)
            {
                if (!rebuilt[next].Document.AsSpan().SequenceEqual(document))
                {
                    difference ??= $"{address}: stored document differs from the rebuilt one";
                }

                expected.Append(rebuilt[next].Address, rebuilt[next].Document);
                next++;
            }
            else
            {
                difference ??= $"{address}: stored, but the log folds into no such document";
            }
        }

        for (; next < rebuilt.Count; next++)
        {
            difference ??= $"{rebuilt[next].Address}: missing from the stored documents";
            expected.Append(rebuilt[next].Address, rebuilt[next].Document);
        }

        var storedHash = stored.Finish();
        var rebuiltHash = expected.Finish();
        if (status == ProjectionVerificationStatus.Match && difference is not null)
        {
            status = ProjectionVerificationStatus.Differs;
        }

        return new ProjectionVerification(
            projection.Name,
            projection.Version,
            checkpoint?.Version,
            status,
            position,
            stored.Documents,
            status is ProjectionVerificationStatus.Match or ProjectionVerificationStatus.Differs ? expected.Documents : null,
            storedHash,
            status is ProjectionVerificationStatus.Match or ProjectionVerificationStatus.Differs ? rebuiltHash : null,
            status == ProjectionVerificationStatus.Differs ? difference : null);
    }

    private IEnumerable<ProjectionRegistration> Select(IEnumerable<string>? only) =>
        only is null ? registry.Projections.Values : only.Select(n => registry.Projections[n]);

    /// <summary>Stored documents in state-hash order (SQLite compares TEXT as UTF-8 bytes: the order <see cref="EncodedAddress.Compare"/> defines).</summary>
    private static async IAsyncEnumerable<(EncodedAddress Address, byte[] Document)> ReadStoredAsync(SqliteConnection connection, SqliteTransaction? transaction, ProjectionRegistration projection, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT tenant_id, mode, doc_key, document FROM projection_documents WHERE projection = $p ORDER BY tenant_id, mode, doc_key";
        command.Parameters.AddWithValue("$p", projection.Name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return (EncodedAddress.Of(reader.GetString(0), reader.GetString(1), reader.GetString(2)), (byte[])reader.GetValue(3));
        }
    }

    /// <summary>Folds events up to <paramref name="head"/> in canonical order into memory only; returns the documents in state-hash order.</summary>
    private async ValueTask<List<(EncodedAddress Address, byte[] Document)>> FoldInMemoryAsync(ProjectionRegistration projection, long head, CancellationToken cancellationToken)
    {
        var documents = new Dictionary<DocumentAddress, byte[]?>();
        await foreach (var e in log.ReadCanonicalAsync(cancellationToken))
        {
            if (e.Position <= head && AddressOf(projection, e) is { } address)
            {
                documents[address] = Fold(projection, e, documents.GetValueOrDefault(address));
            }
        }

        var result = documents.Where(d => d.Value is not null).Select(d => (EncodedAddress.Of(d.Key), d.Value!)).ToList();
        result.Sort((a, b) => EncodedAddress.Compare(a.Item1, b.Item1));
        return result;
    }

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
            await CommitAsync(databaseFor(projection.ResourceKind), projection, reset: false, batch[^1].Position, (connection, transaction) => FoldBatchAsync(connection, transaction, projection, batch, cancellationToken), cancellationToken);
            position = batch[^1].Position;
        }
    }

    /// <summary>Folds a batch in log order on the documents as stored (read inside the commit's transaction); returns the changed ones.</summary>
    private async ValueTask<IReadOnlyDictionary<DocumentAddress, byte[]?>> FoldBatchAsync(SqliteConnection connection, SqliteTransaction transaction, ProjectionRegistration projection, IReadOnlyList<LoggedEvent> events, CancellationToken cancellationToken)
    {
        var dirty = new Dictionary<DocumentAddress, byte[]?>();
        await using var load = LoadCommand(connection, projection);
        load.Transaction = transaction;
        foreach (var e in events)
        {
            if (AddressOf(projection, e) is not { } address)
            {
                continue;
            }

            if (!dirty.TryGetValue(address, out var document))
            {
                document = await LoadAsync(load, address, cancellationToken);
            }

            dirty[address] = Fold(projection, e, document);
        }

        return dirty;
    }

    /// <summary>
    /// Folds the log in canonical order into documents held in memory and writes them sorted by address,
    /// in one transaction with the checkpoint at the end (or, past <see cref="RebuildBufferBytes"/> of
    /// documents, in several transactions of which only the last writes the checkpoint). Measured
    /// (docs/performance.md): writing each page of 2,000 events as it came, with a read of every
    /// document first, put a random B-tree write and a random read behind every event. The first write
    /// of a rebuild clears the documents and the checkpoint together, so a rebuild cut short leaves no
    /// checkpoint and the next catch-up rebuilds again.
    /// </summary>
    private async ValueTask RebuildCoreAsync(ProjectionRegistration projection, long head, CancellationToken cancellationToken)
    {
        var database = databaseFor(projection.ResourceKind);
        var documents = new Dictionary<DocumentAddress, byte[]?>();
        var flushed = new HashSet<DocumentAddress>();
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
                if (AddressOf(projection, e) is not { } address)
                {
                    continue;
                }

                if (!documents.TryGetValue(address, out var document) && !reset && (!trackFlushed || flushed.Contains(address)))
                {
                    // Written by an earlier flush of this rebuild: read it back.
                    if (load is null)
                    {
                        reads = database.Open();
                        load = LoadCommand(reads, projection);
                    }

                    document = await LoadAsync(load, address, cancellationToken);
                }

                var next = Fold(projection, e, document);
                buffered += (next?.Length ?? 0) + address.Key.Length + address.TenantId.Length + address.Mode.Length;
                documents[address] = next;

                if (buffered > RebuildBufferBytes)
                {
                    await CommitAsync(database, projection, reset, checkpoint: null, (_, _) => ValueTask.FromResult<IReadOnlyDictionary<DocumentAddress, byte[]?>>(documents), cancellationToken);
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

            await CommitAsync(database, projection, reset, head, (_, _) => ValueTask.FromResult<IReadOnlyDictionary<DocumentAddress, byte[]?>>(documents), cancellationToken);
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

    /// <summary>Documents in memory (bytes) beyond which a rebuild writes what it holds before going on; default 64 MiB. Tests lower it.</summary>
    internal long RebuildBufferBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Keys a rebuild remembers as written; past it, every key not in memory is read back first.</summary>
    private const int MaxTrackedKeys = 4_000_000;

    /// <summary>The document an event folds into, or <see langword="null"/> when the projection skips the event.</summary>
    private DocumentAddress? AddressOf(ProjectionRegistration projection, LoggedEvent e)
    {
        if (!projection.EventTypes.Contains(e.Envelope.EventType))
        {
            return null;
        }

        try
        {
            return projection.KeyOf(e.Envelope) is { } key ? DocumentAddress.Of(projection, e.Envelope, key) : null;
        }
        catch (Exception ex)
        {
            throw Failed(projection, e, ex);
        }
    }

    private byte[]? Fold(ProjectionRegistration projection, LoggedEvent e, byte[]? current)
    {
        try
        {
            return projection.Apply(current, e.Envelope);
        }
        catch (Exception ex)
        {
            throw Failed(projection, e, ex);
        }
    }

    private ProjectionFailedException Failed(ProjectionRegistration projection, LoggedEvent e, Exception ex)
    {
        CoreLog.ProjectionFailed(logger, projection.Name, e.Position, ex);
        return new ProjectionFailedException(projection.Name, e.Position, ex);
    }

    private static SqliteCommand LoadCommand(SqliteConnection connection, ProjectionRegistration projection)
    {
        var load = connection.CreateCommand();
        load.CommandText = LoadSql;
        load.Parameters.AddWithValue("$p", projection.Name);
        load.Parameters.Add("$t", SqliteType.Text);
        load.Parameters.Add("$m", SqliteType.Text);
        load.Parameters.Add("$k", SqliteType.Text);
        return load;
    }

    private static async ValueTask<byte[]?> LoadAsync(SqliteCommand load, DocumentAddress address, CancellationToken cancellationToken)
    {
        load.Parameters[1].Value = address.TenantId;
        load.Parameters[2].Value = address.Mode;
        load.Parameters[3].Value = address.Key;
        return await load.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    /// <summary>
    /// The one transaction body of the engine: under the database's write gate, optionally clears the
    /// projection (and, when this commit writes no checkpoint, its checkpoint too), writes the documents
    /// <paramref name="documents"/> gives (it may read inside the transaction), and the checkpoint.
    /// </summary>
    private async ValueTask CommitAsync(
        SqliteDatabase database,
        ProjectionRegistration projection,
        bool reset,
        long? checkpoint,
        Func<SqliteConnection, SqliteTransaction, ValueTask<IReadOnlyDictionary<DocumentAddress, byte[]?>>> documents,
        CancellationToken cancellationToken)
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
                clear.CommandText = checkpoint is null
                    ? "DELETE FROM projection_documents WHERE projection = $p; DELETE FROM projection_checkpoints WHERE projection = $p"
                    : "DELETE FROM projection_documents WHERE projection = $p";
                clear.Parameters.AddWithValue("$p", projection.Name);
                await clear.ExecuteNonQueryAsync(cancellationToken);
            }

            await WriteDocumentsAsync(connection, transaction, projection.Name, await documents(connection, transaction), cancellationToken);
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

    /// <summary>Upserts documents and deletes the removed ones (null), in address order so the writes walk the primary key's B-tree in order.</summary>
    private static async ValueTask WriteDocumentsAsync(SqliteConnection connection, SqliteTransaction transaction, string projection, IReadOnlyDictionary<DocumentAddress, byte[]?> documents, CancellationToken cancellationToken)
    {
        var addresses = documents.Keys.ToArray();
        Array.Sort(addresses, DocumentAddress.Ordinal);
        await using var upsert = connection.CreateCommand();
        upsert.Transaction = transaction;
        upsert.CommandText = "INSERT INTO projection_documents (projection, tenant_id, mode, doc_key, document) VALUES ($p, $t, $m, $k, $d) ON CONFLICT (projection, tenant_id, mode, doc_key) DO UPDATE SET document = excluded.document";
        upsert.Parameters.AddWithValue("$p", projection);
        var upsertTenant = upsert.Parameters.Add("$t", SqliteType.Text);
        var upsertMode = upsert.Parameters.Add("$m", SqliteType.Text);
        var upsertKey = upsert.Parameters.Add("$k", SqliteType.Text);
        var upsertDoc = upsert.Parameters.Add("$d", SqliteType.Blob);
        await using var remove = connection.CreateCommand();
        remove.Transaction = transaction;
        remove.CommandText = "DELETE FROM projection_documents WHERE projection = $p AND tenant_id = $t AND mode = $m AND doc_key = $k";
        remove.Parameters.AddWithValue("$p", projection);
        var removeTenant = remove.Parameters.Add("$t", SqliteType.Text);
        var removeMode = remove.Parameters.Add("$m", SqliteType.Text);
        var removeKey = remove.Parameters.Add("$k", SqliteType.Text);
        foreach (var address in addresses)
        {
            if (documents[address] is { } document)
            {
                upsertTenant.Value = address.TenantId;
                upsertMode.Value = address.Mode;
                upsertKey.Value = address.Key;
                upsertDoc.Value = document;
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }
            else
            {
                removeTenant.Value = address.TenantId;
                removeMode.Value = address.Mode;
                removeKey.Value = address.Key;
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

    private async ValueTask<(int Version, long Position)?> ReadCheckpointAsync(ProjectionRegistration projection, CancellationToken cancellationToken)
    {
        await using var connection = databaseFor(projection.ResourceKind).Open();
        return await ReadCheckpointAsync(connection, null, projection, cancellationToken);
    }

    private static async ValueTask<(int Version, long Position)?> ReadCheckpointAsync(SqliteConnection connection, SqliteTransaction? transaction, ProjectionRegistration projection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
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
