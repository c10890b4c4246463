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
    public IWriteTransaction Transaction => _transaction ?? throw new System.Diagnostics.UnreachableException("No batch is open: the log writer opens one before it runs a unit.");

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
                Core = Core.ApplyStored(logged);
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
    public async ValueTask<IReadOnlyList<AppendedEvent>> AppendAsync(string streamId, long? expectedVersion, IReadOnlyList<EventEnvelope> drafts, CancellationToken cancellationToken) =>
        (await AppendAsync([new StreamAppend(streamId, expectedVersion, drafts)], cancellationToken))[0];

    /// <summary>
    /// Appends to several streams at once, with the semantics of one <see cref="AppendAsync(string, long?, IReadOnlyList{EventEnvelope}, CancellationToken)"/>
    /// per element in order (positions follow the elements' order; a stream may appear more than once), but set-based
    /// (issue 8 item 7): when every stream's version is known (the expected one, or read earlier in this batch), the new
    /// rows go in at once with one insert that the database refuses unless every stream is at that version and no
    /// event_id is stored; otherwise, or when refused, one probe of every stream's version and every event_id decides,
    /// then one insert. All or nothing: a <see cref="StreamConcurrencyException"/> (an element's expected version is
    /// not its stream's) or any other failure leaves neither rows nor session state behind. Returns each element's
    /// appended events (or the originals of replayed event_ids), in the elements' order.
    /// </summary>
    public async ValueTask<IReadOnlyList<IReadOnlyList<AppendedEvent>>> AppendAsync(IReadOnlyList<StreamAppend> appends, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(appends);
        var transaction = Transaction;
        var eventIds = new List<byte[]>();
        foreach (var append in appends)
        {
            foreach (var draft in append.Drafts)
            {
                eventIds.Add(Convert.FromHexString(draft.EventId));
            }
        }

        var now = Time.GetUtcNow();
        if (AssumedVersions(appends, eventIds) is { } assumed)
        {
            // The common case in one statement: nothing replayed, no stream moved. A refusal writes nothing and
            // sends the unit to the probe below, which tells a replay from a conflict.
            var guess = Plan(appends, eventIds, assumed, Empty, now);
            if (guess.Rows.Count == 0 || await transaction.TryInsertEventsAsync(guess.Rows, cancellationToken))
            {
                return Apply(guess);
            }
        }

        var ask = new List<string>();
        foreach (var append in appends)
        {
            if (!_streamVersions.ContainsKey(append.StreamId) && !ask.Contains(append.StreamId, StringComparer.Ordinal))
            {
                ask.Add(append.StreamId);
            }
        }

        // Looked up first: the database refuses any insert of an existing event_id, and a replayed event is not an
        // error but returns the original (DESIGN.md §3).
        var probe = await transaction.ProbeAsync(ask, eventIds, cancellationToken);
        foreach (var (stream, known) in probe.Versions)
        {
            _streamVersions[stream] = known;
        }

        var plan = Plan(appends, eventIds, _streamVersions, probe.Existing, now);
        if (plan.Rows.Count > 0 && !await transaction.TryInsertEventsAsync(plan.Rows, cancellationToken))
        {
            // Nothing of the set was written. Which uniqueness failed is read from the state, not a message: a stream
            // that moved past the version decided against is a concurrency conflict; anything else is not ours to name.
            foreach (var stream in plan.Before.Keys)
            {
                _streamVersions.Remove(stream);
            }

            var actual = (await transaction.ProbeAsync(plan.Before.Keys, [], cancellationToken)).Versions;
            foreach (var (stream, decided) in plan.Before)
            {
                _streamVersions[stream] = actual[stream];
                if (actual[stream] != decided)
                {
                    throw new StreamConcurrencyException(stream, decided, actual[stream]);
                }
            }

            throw new Errors.OpsException(Errors.ReasonCodes.LogUnavailable, $"The database refused the rows at positions {plan.Rows[0].Row.Position}..{plan.Rows[^1].Row.Position}, though their streams are still at the versions decided on: the log's head moved under this writer. Nothing of the unit's appends was written.");
        }

        return Apply(plan);
    }

    private static readonly Dictionary<byte[], LoggedEvent> Empty = new(EventIdComparer.Instance);

    /// <summary>Each stream's version before the call when all are known without a read, and no event_id repeats within the call; else null.</summary>
    private Dictionary<string, long>? AssumedVersions(IReadOnlyList<StreamAppend> appends, List<byte[]> eventIds)
    {
        var assumed = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var append in appends)
        {
            if (assumed.ContainsKey(append.StreamId) || append.Drafts.Count == 0)
            {
                // Later elements of a stream continue from the earlier ones (or conflict with them), and a stream with
                // no draft has no row to check its version by: the probe decides.
                return null;
            }

            var cached = _streamVersions.TryGetValue(append.StreamId, out var known);
            if (append.ExpectedVersion is { } expected && (!cached || known == expected))
            {
                assumed[append.StreamId] = expected;
            }
            else if (cached && append.ExpectedVersion is null)
            {
                assumed[append.StreamId] = known;
            }
            else
            {
                return null;
            }
        }

        return eventIds.Count == eventIds.Distinct(EventIdComparer.Instance).Count() ? assumed : null;
    }

    /// <summary>The rows and results of a call, chained after the session's head, decided on locals only.</summary>
    private AppendPlan Plan(IReadOnlyList<StreamAppend> appends, List<byte[]> eventIds, IReadOnlyDictionary<string, long> startVersions, IReadOnlyDictionary<byte[], LoggedEvent> existing, DateTimeOffset now)
    {
        var plan = new AppendPlan(appends.Count);
        var written = new Dictionary<byte[], LoggedEvent>(EventIdComparer.Instance);
        var (head, headHash, next) = (_head, _headHash, 0);
        foreach (var append in appends)
        {
            var streamId = append.StreamId;
            var version = plan.Versions.TryGetValue(streamId, out var moved) ? moved : startVersions[streamId];
            var result = new List<AppendedEvent>(append.Drafts.Count);
            var checkedExpected = false;
            foreach (var draft in append.Drafts)
            {
                var eventIdBytes = eventIds[next++];
                var original = existing.TryGetValue(eventIdBytes, out var stored) ? stored : written.GetValueOrDefault(eventIdBytes);
                if (!checkedExpected && append.ExpectedVersion is { } expected && expected != version)
                {
                    // A replayed event is not a conflict: it returns the original.
                    result.Add(new AppendedEvent(original ?? throw new StreamConcurrencyException(streamId, expected, version), Duplicate: true));
                    continue;
                }

                checkedExpected = true;
                if (original is not null)
                {
                    result.Add(new AppendedEvent(original, Duplicate: true));
                    continue;
                }

                var envelope = draft with { StreamId = streamId, StreamVersion = version + 1, IngestedAt = now };
                var bytes = EventCodec.Encode(envelope);
                var row = new ChainRow(head + 1, eventIdBytes, streamId, envelope.StreamVersion, envelope.EventType, EventCodec.Ticks(envelope.OccurredAt), envelope.SourceRef, envelope.SourceSequence, bytes);
                var rowHash = LogChain.RowHash(headHash, row);
                plan.Rows.Add(new StoredRow(row, headHash, rowHash));
                plan.Before.TryAdd(streamId, version);
                version++;
                (head, headHash) = (row.Position, rowHash);
                var appended = new LoggedEvent(row.Position, envelope);
                written[eventIdBytes] = appended;
                plan.Logged.Add(appended);
                result.Add(new AppendedEvent(appended, Duplicate: false));
            }

            plan.Versions[streamId] = version;
            plan.Results.Add(result);
        }

        (plan.Head, plan.HeadHash) = (head, headHash);
        return plan;
    }

    /// <summary>Moves the session past a plan whose rows are in.</summary>
    private List<IReadOnlyList<AppendedEvent>> Apply(AppendPlan plan)
    {
        foreach (var (stream, version) in plan.Versions)
        {
            _streamVersions[stream] = version;
        }

        (_head, _headHash) = (plan.Head, plan.HeadHash);
        foreach (var appended in plan.Logged)
        {
            if (appended.Envelope.EventType.StartsWith("core.", StringComparison.Ordinal))
            {
                Core = Core.Apply(appended);
            }
        }

        Core = Core with { Position = _head };
        return plan.Results;
    }

    private sealed class AppendPlan(int elements)
    {
        public List<StoredRow> Rows { get; } = [];

        public List<LoggedEvent> Logged { get; } = [];

        public List<IReadOnlyList<AppendedEvent>> Results { get; } = new(elements);

        /// <summary>Each stream's version after the call.</summary>
        public Dictionary<string, long> Versions { get; } = new(StringComparer.Ordinal);

        /// <summary>Each stream that gets a row, with its version before the first.</summary>
        public Dictionary<string, long> Before { get; } = new(StringComparer.Ordinal);

        public long Head { get; set; }

        public byte[] HeadHash { get; set; } = LogChain.Genesis;
    }
}

/// <summary>One element of a set-based append: drafts for one stream, with the version expected before the first new one (null: any).</summary>
internal sealed record StreamAppend(string StreamId, long? ExpectedVersion, IReadOnlyList<EventEnvelope> Drafts);

/// <summary>A point to roll a session back to.</summary>
internal readonly record struct SessionMark(long Head, byte[] HeadHash, CoreState Core, long OutcomeSeq, byte[] OutcomeHash);

/// <summary>An appended event, or the original when the event_id already existed.</summary>
internal sealed record AppendedEvent(LoggedEvent Event, bool Duplicate);
