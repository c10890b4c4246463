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
internal static class LogChain
{
    public const int HashSize = 32;

    public static readonly byte[] Genesis = new byte[HashSize];

    public static byte[] RowHash(ReadOnlySpan<byte> previous, in ChainRow row)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        hash.AppendData(previous);
        AppendInt64(hash, number, row.Position);
        hash.AppendData(row.EventId);
        AppendString(hash, row.StreamId);
        AppendInt64(hash, number, row.StreamVersion);
        AppendString(hash, row.EventType);
        AppendInt64(hash, number, row.OccurredAtTicks);
        AppendString(hash, row.SourceRef);
        hash.AppendData(row.SourceSequence.HasValue ? [1] : [0]);
        AppendInt64(hash, number, row.SourceSequence ?? 0);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, row.Envelope.Length);
        hash.AppendData(length);
        hash.AppendData(row.Envelope);
        return hash.GetHashAndReset();
    }

    private static void AppendInt64(IncrementalHash hash, Span<byte> buffer, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(buffer, value);
        hash.AppendData(buffer);
    }

    private static void AppendString(IncrementalHash hash, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}

/// <summary>The stored columns of one log row, as the chain hashes them.</summary>
internal readonly record struct ChainRow(
    long Position,
    byte[] EventId,
    string StreamId,
    long StreamVersion,
    string EventType,
    long OccurredAtTicks,
    string SourceRef,
    long? SourceSequence,
    byte[] Envelope);
