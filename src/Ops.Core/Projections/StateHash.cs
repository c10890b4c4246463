using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Ops.Core.Projections;

/// <summary>
/// The state hash of a projection (constitution A6: a rebuild must give the same state, byte for byte):
/// SHA-256 over its documents in (tenant_id, mode, doc_key) order, comparing UTF-8 bytes (SQLite's BINARY
/// collation, so the stored rows and an in-memory rebuild sort alike), each document as four
/// length-prefixed parts (4-byte little-endian length, then the bytes): tenant_id, mode, doc_key as
/// UTF-8, and the document's canonical JSON. Tenant and mode are hashed, so moving a document to
/// another tenant changes the hash.
/// </summary>
internal sealed class StateHash : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _length = new byte[4];

    /// <summary>Documents appended so far.</summary>
    public long Documents { get; private set; }

    /// <summary>Appends the next document; callers append in <see cref="EncodedAddress.Compare"/> order.</summary>
    public void Append(EncodedAddress address, ReadOnlySpan<byte> document)
    {
        Part(address.Tenant);
        Part(address.Mode);
        Part(address.Key);
        Part(document);
        Documents++;
    }

    /// <summary>The hash, 64 lowercase hex characters.</summary>
    public string Finish() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    public void Dispose() => _hash.Dispose();

    private void Part(ReadOnlySpan<byte> bytes)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_length, bytes.Length);
        _hash.AppendData(_length);
        _hash.AppendData(bytes);
    }
}

/// <summary>A <see cref="DocumentAddress"/> as UTF-8, the form the state hash orders and hashes.</summary>
/// <param name="Tenant">tenant_id as UTF-8.</param>
/// <param name="Mode">mode as UTF-8.</param>
/// <param name="Key">doc_key as UTF-8.</param>
internal sealed record EncodedAddress(byte[] Tenant, byte[] Mode, byte[] Key)
{
    public static EncodedAddress Of(DocumentAddress address) =>
        new(Encoding.UTF8.GetBytes(address.TenantId), Encoding.UTF8.GetBytes(address.Mode), Encoding.UTF8.GetBytes(address.Key));

    public static EncodedAddress Of(string tenant, string mode, string key) => Of(new DocumentAddress(tenant, mode, key));

    /// <summary>Orders by tenant, then mode, then key, each by UTF-8 bytes: SQLite's <c>ORDER BY tenant_id, mode, doc_key</c>.</summary>
    public static int Compare(EncodedAddress a, EncodedAddress b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var byTenant = a.Tenant.AsSpan().SequenceCompareTo(b.Tenant);
        if (byTenant != 0)
        {
            return byTenant;
        }

        var byMode = a.Mode.AsSpan().SequenceCompareTo(b.Mode);
        return byMode != 0 ? byMode : a.Key.AsSpan().SequenceCompareTo(b.Key);
    }

    public override string ToString() =>
        $"{Encoding.UTF8.GetString(Tenant)}/{Encoding.UTF8.GetString(Mode)}/{Encoding.UTF8.GetString(Key)}";
}
