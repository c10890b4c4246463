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
internal sealed class ProjectionEngine(KernelRegistry registry, IEventStore log, Func<string, IProjectionStore> storeFor, TimeProvider time, ILogger logger, ProjectionParking? parking = null)
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
            var core = parking is null ? null : await parking.Core(cancellationToken);
            foreach (var projection in Select(only))
            {
                if (core is not null && ProjectionFaults.ParkOf(core, projection) is not null)
                {
                    continue;
                }

                try
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
                catch (ProjectionFailedException failure) when (parking is not null)
                {
                    // One pack's broken fold must not stop the others (issue 16 item 6): park it, on the record, and go on.
                    var parked = await ProjectionFaults.ParkAsync(parking.Writer, parking.Mode, projection, failure, cancellationToken);
                    Hosting.OpsTelemetry.ProjectionsParked.Add(1, new KeyValuePair<string, object?>("projection", projection.Name));
                    CoreLog.ProjectionParked(logger, projection.Name, projection.Owner, parked.Position, parked.ErrorType);
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
        await using var read = await storeFor(projection.ResourceKind).BeginReadAsync(cancellationToken);
        using var hash = new StateHash();
        await foreach (var (address, document) in ReadStoredAsync(read, projection, cancellationToken))
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
        await using var snapshot = await storeFor(projection.ResourceKind).BeginReadAsync(cancellationToken);
        var checkpoint = await snapshot.ReadCheckpointAsync(projection.Name, cancellationToken);
        var status = checkpoint is null ? ProjectionVerificationStatus.NotBuilt
            : checkpoint.Value.Version != projection.Version ? ProjectionVerificationStatus.VersionChanged
            : ProjectionVerificationStatus.Match;
        var position = checkpoint?.Position ?? 0;
        var rebuilt = status == ProjectionVerificationStatus.Match ? await FoldInMemoryAsync(projection, position, cancellationToken) : [];

        using var stored = new StateHash();
        using var expected = new StateHash();
        var next = 0;
        string? difference = null;
        await using var documents = ReadStoredAsync(snapshot, projection, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await documents.MoveNextAsync())
                {
                    break;
                }
            }
            catch (Errors.OpsException ex) when (ex.Code == Errors.ReasonCodes.RowUnreadable)
            {
                // A document stored as something else is a difference to report, and the rest cannot be compared in order.
                difference ??= ex.Message;
                status = status == ProjectionVerificationStatus.Match ? ProjectionVerificationStatus.Differs : status;
                break;
            }

            var (address, document) = documents.Current;
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

    /// <summary>Stored documents in state-hash order (the engine orders by UTF-8 bytes: the order <see cref="EncodedAddress.Compare"/> defines).</summary>
    private static async IAsyncEnumerable<(EncodedAddress Address, byte[] Document)> ReadStoredAsync(IProjectionRead read, ProjectionRegistration projection, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var (address, document) in read.ScanAsync(projection.Name, cancellationToken))
        {
            yield return (EncodedAddress.Of(address), document);
        }
    }

    /// <summary>Folds events up to <paramref name="head"/> in canonical order into memory only; returns the documents in state-hash order.</summary>
    private async ValueTask<List<(EncodedAddress Address, byte[] Document)>> FoldInMemoryAsync(ProjectionRegistration projection, long head, CancellationToken cancellationToken)
    {
        var documents = new Dictionary<DocumentAddress, byte[]?>();
        await foreach (var e in ReadAheadAsync(log.ReadCanonicalAsync, cancellationToken))
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
            if (await CommitAsync(projection, reset: false, batch[^1].Position, write => FoldBatchAsync(write, projection, batch, cancellationToken), cancellationToken, foldedFrom: position))
            {
                position = batch[^1].Position;
                continue;
            }

            // Another writer (another worker on the same database) moved the checkpoint first: go on from where
            // it left it, or stop when it is gone or of another version (the next catch-up rebuilds).
            if (await ReadCheckpointAsync(projection, cancellationToken) is not { } moved || moved.Version != projection.Version)
            {
                return;
            }

            position = moved.Position;
        }
    }

    /// <summary>Folds a batch in log order on the documents as stored (read inside the commit's transaction); returns the changed ones.</summary>
    private async ValueTask<IReadOnlyDictionary<DocumentAddress, byte[]?>> FoldBatchAsync(IProjectionWrite write, ProjectionRegistration projection, IReadOnlyList<LoggedEvent> events, CancellationToken cancellationToken)
    {
        var dirty = new Dictionary<DocumentAddress, byte[]?>();
        foreach (var e in events)
        {
            if (AddressOf(projection, e) is not { } address)
            {
                continue;
            }

            if (!dirty.TryGetValue(address, out var document))
            {
                document = await write.LoadAsync(projection.Name, address, cancellationToken);
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
        var store = storeFor(projection.ResourceKind);
        var documents = new Dictionary<DocumentAddress, byte[]?>();
        var flushed = new HashSet<DocumentAddress>();
        var trackFlushed = true;
        var reset = true;
        long buffered = 0;
        long count = 0;
        IProjectionRead? reads = null;
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        string Shared(string name)
        {
            if (!names.TryGetValue(name, out var shared))
            {
                names[name] = shared = name;
            }

            return shared;
        }

        try
        {
            await foreach (var e in ReadAheadAsync(log.ReadCanonicalAsync, cancellationToken))
            {
                if (e.Position > head || !projection.EventTypes.Contains(e.Envelope.EventType))
                {
                    continue;
                }

                count++;
                if (AddressOf(projection, e) is not { } found)
                {
                    continue;
                }

                // Every event decodes its own tenant and mode strings; the documents held until the write keep one of each.
                var address = new DocumentAddress(Shared(found.TenantId), Shared(found.Mode), found.Key);

                if (!documents.TryGetValue(address, out var document) && !reset && (!trackFlushed || flushed.Contains(address)))
                {
                    // Written by an earlier flush of this rebuild: read it back.
                    reads ??= await store.BeginReadAsync(cancellationToken);
                    document = await reads.GetAsync(projection.Name, address, cancellationToken);
                }

                var next = Fold(projection, e, document);
                buffered += (next?.Length ?? 0) + address.Key.Length + address.TenantId.Length + address.Mode.Length;
                documents[address] = next;

                if (buffered > RebuildBufferBytes)
                {
                    await CommitAsync(projection, reset, checkpoint: null, _ => ValueTask.FromResult<IReadOnlyDictionary<DocumentAddress, byte[]?>>(documents), cancellationToken);
                    if (reads is not null)
                    {
                        // A new snapshot sees what this flush wrote.
                        await reads.DisposeAsync();
                        reads = null;
                    }
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

            await CommitAsync(projection, reset, head, _ => ValueTask.FromResult<IReadOnlyDictionary<DocumentAddress, byte[]?>>(documents), cancellationToken);
        }
        finally
        {
            if (reads is not null)
            {
                await reads.DisposeAsync();
            }
        }

        CoreLog.ProjectionRebuilt(logger, projection.Name, projection.Version, count);
    }

    /// <summary>Events per page that <see cref="ReadAheadAsync"/> hands over.</summary>
    private const int ReadAheadPage = 1_000;

    /// <summary>
    /// The events <paramref name="read"/> gives, read and decoded on another thread in pages of <see cref="ReadAheadPage"/>
    /// (at most four pages ahead) while the caller folds (issue 21 item 4: reading and decoding the envelopes took as
    /// long as the fold and the writes together, one after the other). Same events in the same order; a read failure
    /// surfaces after the events before it, as it would without the read-ahead; leaving the loop stops the reader.
    /// </summary>
    private static async IAsyncEnumerable<LoggedEvent> ReadAheadAsync(Func<CancellationToken, IAsyncEnumerable<LoggedEvent>> read, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pages = System.Threading.Channels.Channel.CreateBounded<List<LoggedEvent>>(new System.Threading.Channels.BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        var reader = Task.Run(
            async () =>
            {
                try
                {
                    var page = new List<LoggedEvent>(ReadAheadPage);
                    await foreach (var e in read(stop.Token))
                    {
                        page.Add(e);
                        if (page.Count == ReadAheadPage)
                        {
                            await pages.Writer.WriteAsync(page, stop.Token);
                            page = new List<LoggedEvent>(ReadAheadPage);
                        }
                    }

                    if (page.Count > 0)
                    {
                        await pages.Writer.WriteAsync(page, stop.Token);
                    }

                    pages.Writer.TryComplete();
                }
                catch (Exception ex)
                {
                    pages.Writer.TryComplete(ex);
                }
            },
            CancellationToken.None);
        try
        {
            while (await pages.Reader.WaitToReadAsync(cancellationToken))
            {
                while (pages.Reader.TryRead(out var page))
                {
                    foreach (var e in page)
                    {
                        yield return e;
                    }
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await reader;
        }
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
        return new ProjectionFailedException(projection.Name, e.Position, ex) { EventId = e.Envelope.EventId, EventType = e.Envelope.EventType };
    }

    /// <summary>
    /// The one transaction body of the engine: under the store's write gate, optionally clears the
    /// projection (documents and checkpoint), writes the documents <paramref name="documents"/> gives (it
    /// may read inside the transaction), and the checkpoint. A live fold passes <paramref name="foldedFrom"/>,
    /// the checkpoint it folded after: when the stored one is no longer that (another writer of the same
    /// database committed first), nothing is written and the result is false.
    /// </summary>
    private async ValueTask<bool> CommitAsync(
        ProjectionRegistration projection,
        bool reset,
        long? checkpoint,
        Func<IProjectionWrite, ValueTask<IReadOnlyDictionary<DocumentAddress, byte[]?>>> documents,
        CancellationToken cancellationToken,
        long? foldedFrom = null)
    {
        await using var write = await storeFor(projection.ResourceKind).BeginWriteAsync(cancellationToken);
        if (foldedFrom is { } from
            && (await write.ReadCheckpointAsync(projection.Name, cancellationToken) is not { } stored || stored.Position != from || stored.Version != projection.Version))
        {
            return false;
        }

        if (reset)
        {
            await write.ClearAsync(projection.Name, cancellationToken);
        }

        await write.WriteDocumentsAsync(projection.Name, await documents(write), cancellationToken);
        if (checkpoint is { } position)
        {
            await write.SaveCheckpointAsync(projection.Name, new ProjectionCheckpoint(projection.Version, position, time.GetUtcNow().UtcTicks), cancellationToken);
        }

        await write.CommitAsync(cancellationToken);
        return true;
    }

    private ValueTask<ProjectionCheckpoint?> ReadCheckpointAsync(ProjectionRegistration projection, CancellationToken cancellationToken) =>
        storeFor(projection.ResourceKind).ReadCheckpointAsync(projection.Name, cancellationToken);
}

/// <summary>What lets the engine park a projection whose fold throws: kernel state as of the log's head, and the writer its record goes through.</summary>
/// <param name="Core">Reads kernel state as of the log's head (parks made by other processes included).</param>
/// <param name="Writer">Appends <c>core.ProjectionParked</c>.</param>
/// <param name="Mode">The host's mode, for the record's scope.</param>
internal sealed record ProjectionParking(Func<CancellationToken, ValueTask<Capabilities.CoreState>> Core, Log.LogWriter Writer, string Mode);

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

    /// <summary>The event_id of that event.</summary>
    internal string EventId { get; init; } = string.Empty;

    /// <summary>The event type of that event.</summary>
    internal string EventType { get; init; } = string.Empty;
}
