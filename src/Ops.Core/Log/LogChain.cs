using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Ops.Core.Log;

/// <summary>
/// The hash chain of the log: row_hash = SHA-256(prev_hash ‖ position ‖ event_id ‖ stream_id ‖
/// stream_version ‖ event_type ‖ occurred_at ‖ source_ref ‖ source_sequence ‖ envelope), integers as
/// 8-byte little endian, strings as a 4-byte length then UTF-8. Every stored column is covered, so
/// an edit of any of them breaks the chain at that row.
/// </summary>
public static class LogChain
{
    /// <summary>A row hash's size: 32 bytes (SHA-256).</summary>
    public const int HashSize = 32;

    /// <summary>The previous hash of position 1: 32 zero bytes.</summary>
    public static readonly byte[] Genesis = new byte[HashSize];

    /// <summary>The row hash of <paramref name="row"/> after a row whose hash is <paramref name="previous"/> (ADR 0004).</summary>
    /// <param name="previous">The previous row's hash (32 bytes), or <see cref="Genesis"/>.</param>
    /// <param name="row">The row's chained columns.</param>
    /// <returns>The 32-byte hash.</returns>
    public static byte[] RowHash(ReadOnlySpan<byte> previous, in ChainRow row) =>
        RowHash(previous, row.Position, row.EventId, row.StreamId, row.StreamVersion, row.EventType, row.OccurredAtTicks, row.SourceRef, row.SourceSequence, row.Envelope);

    /// <summary>The same hash from the columns themselves, so a reader can hash a row from pooled buffers.</summary>
    public static byte[] RowHash(ReadOnlySpan<byte> previous, long position, ReadOnlySpan<byte> eventId, string streamId, long streamVersion, string eventType, long occurredAtTicks, string sourceRef, long? sourceSequence, ReadOnlySpan<byte> envelope)
    {
        var hash = new byte[HashSize];
        RowHash(previous, position, eventId, streamId, streamVersion, eventType, occurredAtTicks, sourceRef, sourceSequence, envelope, hash);
        return hash;
    }

    /// <summary>
    /// The same hash from the columns as stored (texts as their UTF-8 bytes), written into
    /// <paramref name="destination"/> (32 bytes): what verify computes straight from SQLite's buffers.
    /// </summary>
    public static void RowHashUtf8(ReadOnlySpan<byte> previous, long position, ReadOnlySpan<byte> eventId, ReadOnlySpan<byte> streamId, long streamVersion, ReadOnlySpan<byte> eventType, long occurredAtTicks, ReadOnlySpan<byte> sourceRef, long? sourceSequence, ReadOnlySpan<byte> envelope, Span<byte> destination)
    {
        var total = InputSize(previous.Length, eventId.Length, streamId.Length, eventType.Length, sourceRef.Length, envelope.Length);
        var rented = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            var span = rented.AsSpan(0, total);
            WriteInput(span, previous, position, eventId, streamId, streamVersion, eventType, occurredAtTicks, sourceRef, sourceSequence, envelope);
            SHA256.HashData(span, destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Bytes of the hash input of a row whose columns (texts as UTF-8) have these lengths.</summary>
    public static int InputSize(int previous, int eventId, int streamId, int eventType, int sourceRef, int envelope) =>
        previous + 8 + eventId + 4 + streamId + 8 + 4 + eventType + 8 + 4 + sourceRef + 1 + 8 + 4 + envelope;

    /// <summary>
    /// Writes the hash input of a row (the one layout of the chain) into <paramref name="span"/>, which holds
    /// exactly <see cref="InputSize"/> bytes; SHA-256 of it is the row hash.
    /// </summary>
    public static void WriteInput(Span<byte> span, ReadOnlySpan<byte> previous, long position, ReadOnlySpan<byte> eventId, ReadOnlySpan<byte> streamId, long streamVersion, ReadOnlySpan<byte> eventType, long occurredAtTicks, ReadOnlySpan<byte> sourceRef, long? sourceSequence, ReadOnlySpan<byte> envelope)
    {
        var at = 0;
        previous.CopyTo(span);
        at += previous.Length;
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], position);
        at += 8;
        eventId.CopyTo(span[at..]);
        at += eventId.Length;
        at = WriteBytes(span, at, streamId);
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], streamVersion);
        at += 8;
        at = WriteBytes(span, at, eventType);
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], occurredAtTicks);
        at += 8;
        at = WriteBytes(span, at, sourceRef);
        span[at++] = sourceSequence.HasValue ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], sourceSequence ?? 0);
        at += 8;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], envelope.Length);
        at += 4;
        envelope.CopyTo(span[at..]);
    }

    private static int WriteBytes(Span<byte> span, int at, ReadOnlySpan<byte> utf8)
    {
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], utf8.Length);
        utf8.CopyTo(span[(at + 4)..]);
        return at + 4 + utf8.Length;
    }

    /// <summary>Writes the row hash into <paramref name="destination"/> (32 bytes); the texts are hashed as their UTF-8 bytes.</summary>
    public static void RowHash(ReadOnlySpan<byte> previous, long position, ReadOnlySpan<byte> eventId, string streamId, long streamVersion, string eventType, long occurredAtTicks, string sourceRef, long? sourceSequence, ReadOnlySpan<byte> envelope, Span<byte> destination)
    {
        // One layout, in RowHashUtf8: encode the three texts into one pooled buffer and hash from there.
        var streamLength = Encoding.UTF8.GetByteCount(streamId);
        var typeLength = Encoding.UTF8.GetByteCount(eventType);
        var sourceLength = Encoding.UTF8.GetByteCount(sourceRef);
        var rented = ArrayPool<byte>.Shared.Rent(streamLength + typeLength + sourceLength);
        try
        {
            var texts = rented.AsSpan();
            Encoding.UTF8.GetBytes(streamId, texts);
            Encoding.UTF8.GetBytes(eventType, texts[streamLength..]);
            Encoding.UTF8.GetBytes(sourceRef, texts[(streamLength + typeLength)..]);
            RowHashUtf8(
                previous,
                position,
                eventId,
                texts[..streamLength],
                streamVersion,
                texts.Slice(streamLength, typeLength),
                occurredAtTicks,
                texts.Slice(streamLength + typeLength, sourceLength),
                sourceSequence,
                envelope,
                destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}

/// <summary>The stored columns of one log row, as the chain hashes them.</summary>
public readonly record struct ChainRow(
    long Position,
    byte[] EventId,
    string StreamId,
    long StreamVersion,
    string EventType,
    long OccurredAtTicks,
    string SourceRef,
    long? SourceSequence,
    byte[] Envelope);
