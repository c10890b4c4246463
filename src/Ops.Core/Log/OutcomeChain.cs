using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Ops.Core.Log;

/// <summary>
/// The hash chain of <c>command_outcomes</c> (issue 7 item 5): row_hash = SHA-256(prev_hash ‖ seq ‖
/// command_id ‖ content_hash ‖ command_type ‖ status ‖ outcome ‖ decided_at), integers as 8-byte
/// little endian, texts and the outcome blob as a 4-byte length then their bytes (texts UTF-8). seq
/// counts from 1; the first row's prev_hash is 32 zero bytes. Every stored column is covered.
/// </summary>
public static class OutcomeChain
{
    /// <summary>The row hash of an outcome after the outcome whose hash is <paramref name="previous"/>.</summary>
    /// <param name="previous">The previous outcome's hash (32 bytes), or the genesis hash.</param>
    /// <param name="row">The outcome's chained columns.</param>
    /// <returns>The 32-byte hash.</returns>
    public static byte[] RowHash(ReadOnlySpan<byte> previous, in OutcomeRow row)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        hash.AppendData(previous);
        BinaryPrimitives.WriteInt64LittleEndian(number, row.Seq);
        hash.AppendData(number);
        Append(hash, Encoding.UTF8.GetBytes(row.CommandId));
        Append(hash, Encoding.UTF8.GetBytes(row.ContentHash));
        Append(hash, Encoding.UTF8.GetBytes(row.CommandType));
        Append(hash, Encoding.UTF8.GetBytes(row.Status));
        Append(hash, row.Outcome);
        BinaryPrimitives.WriteInt64LittleEndian(number, row.DecidedAtTicks);
        hash.AppendData(number);
        return hash.GetHashAndReset();
    }

    private static void Append(IncrementalHash hash, ReadOnlySpan<byte> bytes)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}

/// <summary>The stored columns of one command outcome, as the outcome chain hashes them.</summary>
public readonly record struct OutcomeRow(long Seq, string CommandId, string ContentHash, string CommandType, string Status, byte[] Outcome, long DecidedAtTicks);
