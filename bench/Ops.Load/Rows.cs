using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Log;
using Ops.Packs.Notes.Contracts;

namespace Ops.Load;

/// <summary>
/// Builds the events the kernel appends: pack.notes.notes.NoteCreated drafts, each for a new note on
/// its own stream (a random stream id, as a real CreateNote gives), shaped like the gateway's drafts.
/// </summary>
internal sealed class NoteDrafts
{
    public const int ContentLength = 160;
    private static readonly ActorRef Actor = new("admin", ActorKind.Human);
    private static readonly IdentityScope Scope = new("acme", "system", "admin", "bench");
    private readonly string _salt = Guid.NewGuid().ToString("N");
    private readonly string _content = new string('x', ContentLength);
    private readonly string _capability = Convert.ToHexStringLower(SHA256.HashData("bench-capability"u8));

    public (string StreamId, EventEnvelope Draft) Create(long index, DateTimeOffset now)
    {
        var commandId = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(_salt + index.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        var noteId = commandId[..32];
        var payload = Payload(noteId, index, now);
        var streamId = "pack.notes:note-" + noteId;
        return (streamId, EventDraft.Create(
            NoteNames.NoteCreated, 1, EventDraft.Payload(payload), "command:" + commandId, commandId + "#0", 0, now,
            new Causation(commandId, commandId, CausationType.Command), Actor, _capability, _capability, Scope, streamId));
    }

    /// <summary>The payload of the index-th note (what a peer event store appends for the same work).</summary>
    public NoteCreated Payload(string noteId, long index, DateTimeOffset now) =>
        new(noteId, "acme", "system", "admin", "Note " + index.ToString(System.Globalization.CultureInfo.InvariantCulture), _content, NoteContentTypes.Text, [], new NoteSource(NoteSource.User), now, "bench");

    /// <summary>The stored row of a draft as the log would store it (stream version 1): its sizes are what the raw rows copy.</summary>
    public RowShape Shape()
    {
        var (stream, draft) = Create(0, DateTimeOffset.UtcNow);
        var stored = draft with { StreamId = stream, StreamVersion = 1 };
        return new RowShape(EventCodec.Encode(stored), stream.Length - 32, draft.EventType, draft.SourceRef.Length - 64);
    }
}

/// <summary>What a raw row copies from the kernel's rows: the envelope bytes and the lengths of the text columns.</summary>
internal sealed record RowShape(byte[] Envelope, int StreamPrefixLength, string EventType, int SourcePrefixLength)
{
    /// <summary>Bytes of one row's columns as stored (envelope, 32-byte id and hashes, texts, integers).</summary>
    public int RowBytes => Envelope.Length + (3 * 32) + StreamPrefixLength + 32 + EventType.Length + SourcePrefixLength + 64 + (4 * 8);
}

/// <summary>
/// The raw baseline's rows: the same columns and sizes as the kernel's (a random 32-byte event_id, a
/// random stream id of the same length, the same event type, occurred_at growing with time, the same
/// envelope bytes, 32-byte hashes), made as cheaply as possible so the loop measures the engine.
/// </summary>
internal sealed class RawRows(RowShape shape)
{
    private readonly byte[] _eventId = new byte[32];
    private readonly byte[] _hash = new byte[32];
    private readonly Random _random = new(42);
    private readonly string _streamPrefix = "pack.notes:note-";
    private readonly string _sourcePrefix = "command:";
    private long _ticks = DateTime.UtcNow.Ticks;

    public RowShape Shape => shape;

    public static SqliteCommand PrepareInsert(SqliteConnection connection)
    {
        var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO events (position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash)
            VALUES ($position, $event_id, $stream_id, $stream_version, $event_type, $occurred_at, $source_ref, $source_sequence, $envelope, $prev_hash, $row_hash)
            """;
        foreach (var name in new[] { "$position", "$event_id", "$stream_id", "$stream_version", "$event_type", "$occurred_at", "$source_ref", "$source_sequence", "$envelope", "$prev_hash", "$row_hash" })
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }

    public void Fill(SqliteCommand insert, long position)
    {
        _random.NextBytes(_eventId);
        _random.NextBytes(_hash);
        var p = insert.Parameters;
        p[0].Value = position;
        p[1].Value = _eventId;
        p[2].Value = _streamPrefix + Convert.ToHexStringLower(_eventId.AsSpan(0, 16));
        p[3].Value = 1L;
        p[4].Value = shape.EventType;
        p[5].Value = _ticks += 10;
        p[6].Value = _sourcePrefix + Convert.ToHexStringLower(_hash);
        p[7].Value = 0L;
        p[8].Value = shape.Envelope;
        p[9].Value = _hash;
        p[10].Value = _eventId;
    }
}
