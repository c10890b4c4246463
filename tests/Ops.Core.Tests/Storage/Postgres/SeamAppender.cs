using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Log;
using Ops.Core.Storage;

namespace Ops.Core.Tests.Storage.Postgres;

/// <summary>
/// What the kernel's WriteSession does over <see cref="IWriteTransaction"/>, reduced to appends and outcomes: the
/// chain computed in C# (<see cref="LogChain"/>, <see cref="OutcomeChain"/>), idempotent by event_id, optimistic per
/// stream, a uniqueness refusal told apart by the state it leaves. A stand-in until WriteSession itself runs on the
/// seam (the lead's SQLite move); then these tests and the worker processes use WriteSession instead.
/// </summary>
internal sealed class SeamAppender(IWriteTransaction transaction, DateTimeOffset now)
{
    private long _head = -1;
    private byte[] _headHash = LogChain.Genesis;

    public async ValueTask<IReadOnlyList<AppendedEvent>> AppendAsync(string streamId, long? expectedVersion, IReadOnlyList<EventEnvelope> drafts, CancellationToken cancellationToken = default)
    {
        if (_head < 0)
        {
            (_head, _headHash) = await transaction.ReadHeadAsync(cancellationToken);
        }

        var version = await transaction.StreamVersionAsync(streamId, cancellationToken);
        if (expectedVersion is { } expected && expected != version)
        {
            throw new StreamConcurrencyException(streamId, expected, version);
        }

        var result = new List<AppendedEvent>(drafts.Count);
        foreach (var draft in drafts)
        {
            var eventId = Convert.FromHexString(draft.EventId);
            if (await transaction.FindEventAsync(eventId, cancellationToken) is { } original)
            {
                result.Add(new AppendedEvent(original, Duplicate: true));
                continue;
            }

            var envelope = draft with { StreamId = streamId, StreamVersion = version + 1, IngestedAt = now };
            var row = new ChainRow(_head + 1, eventId, streamId, envelope.StreamVersion, envelope.EventType, EventCodec.Ticks(envelope.OccurredAt), envelope.SourceRef, envelope.SourceSequence, EventCodec.Encode(envelope));
            var rowHash = LogChain.RowHash(_headHash, row);
            if (!await transaction.TryInsertEventAsync(new StoredRow(row, _headHash, rowHash), cancellationToken))
            {
                var actual = await transaction.StreamVersionAsync(streamId, cancellationToken);
                throw actual != version
                    ? new StreamConcurrencyException(streamId, version, actual)
                    : new InvalidOperationException($"position {row.Position} or event_id {draft.EventId} was taken under the writer");
            }

            version++;
            (_head, _headHash) = (row.Position, rowHash);
            result.Add(new AppendedEvent(new LoggedEvent(row.Position, envelope), Duplicate: false));
        }

        return result;
    }

    /// <summary>Records an accepted outcome for <paramref name="commandId"/>, chained after the current outcome head.</summary>
    public async ValueTask<OutcomeRow> RecordOutcomeAsync(string commandId, string contentHash, CancellationToken cancellationToken = default)
    {
        var (seq, previous) = await transaction.ReadOutcomeHeadAsync(cancellationToken);
        var outcome = new CommandOutcome
        {
            CommandId = commandId,
            CommandType = "core.TestCommand",
            Status = CommandStatus.Accepted,
            DecidedAt = now,
        };
        var row = new OutcomeRow(seq + 1, commandId, contentHash, outcome.CommandType, "accepted", CanonicalJson.SerializeToCanonical(outcome), now.UtcTicks);
        await transaction.InsertOutcomeAsync(row, previous, OutcomeChain.RowHash(previous, row), cancellationToken);
        return row;
    }
}
