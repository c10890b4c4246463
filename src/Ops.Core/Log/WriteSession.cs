using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Ops.Core.Storage;

namespace Ops.Core.Log;

/// <summary>
/// One writer batch of the group commit, engine-independent: appends events (chained, idempotent by
/// event_id, with optimistic concurrency per stream), records command outcomes (chained) and connector
/// cursors through the engine's <see cref="IWriteTransaction"/>. Every unit of work runs inside a
/// savepoint, so one failing unit never sinks its neighbours. Errors are told apart by the state they
/// leave, never by their message text.
/// </summary>
internal sealed class WriteSession(TimeProvider time)
{
    private readonly Dictionary<string, long> _streamVersions = new(StringComparer.Ordinal);
    private IWriteTransaction? _transaction;
    private long _head;
    private byte[] _headHash = LogChain.Genesis;
    private long _outcomeSeq;
    private byte[] _outcomeHash = LogChain.Genesis;

    public TimeProvider Time { get; } = time;

    /// <summary>The engine transaction of the open batch.</summary>
    public IWriteTransaction Transaction => _transaction ?? throw new InvalidOperationException("No batch is open.");

    /// <summary>Core state including this batch's appends so far.</summary>
    public CoreState Core { get; private set; } = CoreState.Empty;

    public long Head => _head;

    /// <summary>The last chained command outcome (seq 0 and the genesis hash when there is none), including this batch's.</summary>
    public (long Seq, byte[] Hash) OutcomeHead => (_outcomeSeq, _outcomeHash);

    /// <summary>Moves the outcome chain's head after <see cref="OutcomeStore"/> recorded an outcome.</summary>
    public void AdvanceOutcomes(long seq, byte[] hash) => (_outcomeSeq, _outcomeHash) = (seq, hash);

    public async ValueTask BeginAsync(IWriteTransaction transaction, CoreState committedCore, CancellationToken cancellationToken)
    {
        _transaction = transaction;
        _streamVersions.Clear();
        (_head, _headHash) = await transaction.ReadHeadAsync(cancellationToken);
        (_outcomeSeq, _outcomeHash) = await transaction.ReadOutcomeHeadAsync(cancellationToken);

        // Another process (the admin CLI, another worker) may have appended since our last batch: fold its core events in.
        Core = committedCore;
        if (Core.Position < _head)
        {
            foreach (var logged in await transaction.ReadCoreEventsAfterAsync(Core.Position, cancellationToken))
            {
                Core = Core.Apply(logged);
            }

            Core = Core with { Position = _head };
        }
    }

    public void End() => _transaction = null;

    public SessionMark Mark() => new(_head, _headHash, Core, _outcomeSeq, _outcomeHash);

    public void Restore(SessionMark mark)
    {
        (_head, _headHash, Core, _outcomeSeq, _outcomeHash) = (mark.Head, mark.HeadHash, mark.Core, mark.OutcomeSeq, mark.OutcomeHash);
        _streamVersions.Clear();
    }

    public async ValueTask<long> StreamVersionAsync(string streamId, CancellationToken cancellationToken)
    {
        if (_streamVersions.TryGetValue(streamId, out var cached))
        {
            return cached;
        }

        var version = await Transaction.StreamVersionAsync(streamId, cancellationToken);
        _streamVersions[streamId] = version;
        return version;
    }

    /// <summary>occurred_at of the stream's last event, or null for a new stream.</summary>
    public async ValueTask<DateTimeOffset?> LastOccurredAtAsync(string streamId, CancellationToken cancellationToken) =>
        await Transaction.LastOccurredAtTicksAsync(streamId, cancellationToken) is { } ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    public ValueTask<IReadOnlyList<LoggedEvent>> ReadStreamAsync(string streamId, CancellationToken cancellationToken) =>
        Transaction.ReadStreamAsync(streamId, cancellationToken);

    /// <summary>
    /// Appends drafts to one stream. A draft whose event_id is already in the log is not written;
    /// the original is returned in its place (DESIGN.md §3). <paramref name="expectedVersion"/>, when
    /// given, must equal the stream's version before the first new event.
    /// </summary>
    public async ValueTask<IReadOnlyList<AppendedEvent>> AppendAsync(string streamId, long? expectedVersion, IReadOnlyList<EventEnvelope> drafts, CancellationToken cancellationToken)
    {
        var result = new List<AppendedEvent>(drafts.Count);
        var version = await StreamVersionAsync(streamId, cancellationToken);
        var now = Time.GetUtcNow();
        var checkedExpected = false;
        foreach (var draft in drafts)
        {
            var eventIdBytes = Convert.FromHexString(draft.EventId);
            if (!checkedExpected && expectedVersion is { } expected && expected != version)
            {
                // A replayed event is not a conflict: it returns the original.
                result.Add(new AppendedEvent(await Transaction.FindEventAsync(eventIdBytes, cancellationToken) ?? throw new StreamConcurrencyException(streamId, expected, version), Duplicate: true));
                continue;
            }

            checkedExpected = true;

            // Looked up first: the database refuses any insert of an existing event_id, and a
            // replayed event is not an error but returns the original (DESIGN.md §3).
            if (await Transaction.FindEventAsync(eventIdBytes, cancellationToken) is { } original)
            {
                result.Add(new AppendedEvent(original, Duplicate: true));
                continue;
            }

            var envelope = draft with { StreamId = streamId, StreamVersion = version + 1, IngestedAt = now };
            var bytes = EventCodec.Encode(envelope);
            var row = new ChainRow(_head + 1, eventIdBytes, streamId, envelope.StreamVersion, envelope.EventType, EventCodec.Ticks(envelope.OccurredAt), envelope.SourceRef, envelope.SourceSequence, bytes);
            var rowHash = LogChain.RowHash(_headHash, row);
            if (!await Transaction.TryInsertEventAsync(new StoredRow(row, _headHash, rowHash), cancellationToken))
            {
                // Which uniqueness failed is read from the state, not a message: a stream that moved past the
                // version decided against is a concurrency conflict; anything else is not ours to name.
                _streamVersions.Remove(streamId);
                var actual = await StreamVersionAsync(streamId, cancellationToken);
                if (actual != version)
                {
                    throw new StreamConcurrencyException(streamId, version, actual);
                }

                throw new InvalidOperationException($"The database refused the row at position {row.Position} of stream {streamId}, though the stream is still at version {version}: the log's head moved under this writer. Nothing of the batch was written.");
            }

            version++;
            _streamVersions[streamId] = version;
            _head = row.Position;
            _headHash = rowHash;
            var logged = new LoggedEvent(row.Position, envelope);
            if (envelope.EventType.StartsWith("core.", StringComparison.Ordinal))
            {
                Core = Core.Apply(logged);
            }

            result.Add(new AppendedEvent(logged, Duplicate: false));
        }

        Core = Core with { Position = _head };
        return result;
    }
}

/// <summary>A point to roll a session back to.</summary>
internal readonly record struct SessionMark(long Head, byte[] HeadHash, CoreState Core, long OutcomeSeq, byte[] OutcomeHash);

/// <summary>An appended event, or the original when the event_id already existed.</summary>
internal sealed record AppendedEvent(LoggedEvent Event, bool Duplicate);
