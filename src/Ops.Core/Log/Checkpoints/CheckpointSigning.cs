using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Ops.Core.Consent;
using Ops.Core.Identity;

namespace Ops.Core.Log.Checkpoints;

/// <summary>
/// What a checkpoint signs and how: RFC 8785 canonical JSON of
/// <c>{"key_id","kind":"aligntrue-ops.checkpoint/1","outcomes_hash","outcomes_seq","position","row_hash","schema_hash","signed_at"}</c>
/// (<c>schema_hash</c> only when the checkpoint carries one, so checkpoints signed before it existed verify unchanged),
/// ECDSA P-256 with SHA-256, signature in IEEE P1363 form (r‖s, 64 bytes), base64. The <c>kind</c>
/// member keeps these bytes from ever meaning anything else. Public so a checkpoint can be verified
/// without this library.
/// </summary>
public static class CheckpointSigning
{
    /// <summary>The <c>kind</c> member of the signed bytes.</summary>
    public const string Kind = "aligntrue-ops.checkpoint/1";

    /// <summary>The canonical bytes a checkpoint's signature covers.</summary>
    /// <param name="position">Head position.</param>
    /// <param name="rowHash">Head row_hash, 64 hex.</param>
    /// <param name="outcomesSeq">Last outcome seq.</param>
    /// <param name="outcomesHash">Last outcome row_hash, 64 hex.</param>
    /// <param name="signedAt">Signing instant (UTC).</param>
    /// <param name="keyId">The signing key's id.</param>
    /// <returns>UTF-8 canonical JSON.</returns>
    public static byte[] SignedBytes(long position, string rowHash, long outcomesSeq, string outcomesHash, DateTimeOffset signedAt, string keyId) =>
        SignedBytes(position, rowHash, outcomesSeq, outcomesHash, signedAt, keyId, null);

    /// <summary>The canonical bytes a checkpoint's signature covers, with the schema hash when there is one.</summary>
    /// <param name="position">Head position.</param>
    /// <param name="rowHash">Head row_hash, 64 hex.</param>
    /// <param name="outcomesSeq">Last outcome seq.</param>
    /// <param name="outcomesHash">Last outcome row_hash, 64 hex.</param>
    /// <param name="signedAt">Signing instant (UTC).</param>
    /// <param name="keyId">The signing key's id.</param>
    /// <param name="schemaHash">The log tables' schema hash, 64 hex, or null for none (the bytes are then those of a checkpoint without it).</param>
    /// <returns>UTF-8 canonical JSON.</returns>
    public static byte[] SignedBytes(long position, string rowHash, long outcomesSeq, string outcomesHash, DateTimeOffset signedAt, string keyId, string? schemaHash)
    {
        var signed = new JsonObject
        {
            ["kind"] = Kind,
            ["position"] = position,
            ["row_hash"] = rowHash,
            ["outcomes_seq"] = outcomesSeq,
            ["outcomes_hash"] = outcomesHash,
            ["signed_at"] = OpsJson.FormatInstant(signedAt),
            ["key_id"] = keyId,
        };
        if (schemaHash is not null)
        {
            signed["schema_hash"] = schemaHash;
        }

        return CanonicalJson.SerializeToCanonical(signed);
    }

    /// <summary>Signs a head.</summary>
    /// <param name="key">The checkpoint key (P-256, private).</param>
    /// <param name="position">Head position.</param>
    /// <param name="rowHash">Head row_hash, 64 hex.</param>
    /// <param name="outcomesSeq">Last outcome seq.</param>
    /// <param name="outcomesHash">Last outcome row_hash, 64 hex.</param>
    /// <param name="signedAt">Signing instant (UTC).</param>
    /// <returns>The signed checkpoint.</returns>
    public static CheckpointSigned Sign(ECDsa key, long position, string rowHash, long outcomesSeq, string outcomesHash, DateTimeOffset signedAt) =>
        Sign(key, position, rowHash, outcomesSeq, outcomesHash, signedAt, null);

    /// <summary>Signs a head and the schema of the log's tables.</summary>
    /// <param name="key">The checkpoint key (P-256, private).</param>
    /// <param name="position">Head position.</param>
    /// <param name="rowHash">Head row_hash, 64 hex.</param>
    /// <param name="outcomesSeq">Last outcome seq.</param>
    /// <param name="outcomesHash">Last outcome row_hash, 64 hex.</param>
    /// <param name="signedAt">Signing instant (UTC).</param>
    /// <param name="schemaHash">The log tables' schema hash, 64 hex, or null.</param>
    /// <returns>The signed checkpoint.</returns>
    public static CheckpointSigned Sign(ECDsa key, long position, string rowHash, long outcomesSeq, string outcomesHash, DateTimeOffset signedAt, string? schemaHash)
    {
        ArgumentNullException.ThrowIfNull(key);
        var keyId = KeyIdOf(key);
        var bytes = SignedBytes(position, rowHash, outcomesSeq, outcomesHash, signedAt, keyId, schemaHash);
        var signature = key.SignData(bytes, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new CheckpointSigned(position, rowHash, outcomesSeq, outcomesHash, signedAt.ToUniversalTime(), keyId, Convert.ToBase64String(signature)) { SchemaHash = schemaHash };
    }

    /// <summary>Checks a checkpoint against the trusted public key.</summary>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <param name="trusted">The trusted checkpoint public key.</param>
    /// <param name="trustedKeyId">Its key id.</param>
    /// <returns>Null when it verifies; otherwise what is wrong, in a sentence.</returns>
    public static string? Verify(CheckpointSigned checkpoint, ECDsa trusted, string trustedKeyId)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(trusted);
        if (!string.Equals(checkpoint.KeyId, trustedKeyId, StringComparison.Ordinal))
        {
            return $"it names key {checkpoint.KeyId}, not the trusted checkpoint key {trustedKeyId}";
        }

        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(checkpoint.Signature);
        }
        catch (FormatException)
        {
            return "its signature is not base64";
        }

        var bytes = SignedBytes(checkpoint.Position, checkpoint.RowHash, checkpoint.OutcomesSeq, checkpoint.OutcomesHash, checkpoint.SignedAt, checkpoint.KeyId, checkpoint.SchemaHash);
        return trusted.VerifyData(bytes, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
            ? null
            : "its signature does not verify with the trusted checkpoint key (forged, or edited after signing)";
    }

    /// <summary>Key id: 32 hex of SHA-256 over the SubjectPublicKeyInfo DER (the scheme of consent keys).</summary>
    /// <param name="key">A P-256 key.</param>
    /// <returns>32 lowercase hex characters.</returns>
    public static string KeyIdOf(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ConsentSigning.KeyId(key.ExportSubjectPublicKeyInfo());
    }
}
