using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Ops.Core.Identity;

namespace Ops.Core.Consent;

/// <summary>
/// The bytes a signer signs and how: RFC 8785 canonical JSON of
/// <c>{"expires_at","interpretation_id","key_id","nonce","preview_hash","signed_at","signer"}</c>,
/// ECDSA P-256 with SHA-256, signature in IEEE P1363 form (r‖s, 64 bytes), base64. Public so any client
/// can sign without this library.
/// </summary>
public static class ConsentSigning
{
    /// <summary>Longest allowed signature lifetime (expires_at − signed_at).</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(1);

    /// <summary>The canonical bytes covered by a signature.</summary>
    /// <param name="previewHash">The interpretation's preview hash.</param>
    /// <param name="interpretationId">The chosen interpretation.</param>
    /// <param name="signer">The signing actor.</param>
    /// <param name="keyId">The signer's key id.</param>
    /// <param name="signedAt">Signing instant (UTC).</param>
    /// <param name="expiresAt">Expiry (UTC).</param>
    /// <param name="nonce">Single-use nonce.</param>
    /// <returns>UTF-8 canonical JSON.</returns>
    public static byte[] SignedBytes(string previewHash, string interpretationId, string signer, string keyId, DateTimeOffset signedAt, DateTimeOffset expiresAt, string nonce)
    {
        var node = new JsonObject
        {
            ["preview_hash"] = previewHash,
            ["interpretation_id"] = interpretationId,
            ["signer"] = signer,
            ["key_id"] = keyId,
            ["signed_at"] = OpsJson.FormatInstant(signedAt),
            ["expires_at"] = OpsJson.FormatInstant(expiresAt),
            ["nonce"] = nonce,
        };
        return CanonicalJson.SerializeToCanonical(node);
    }

    /// <summary>Signs a proposal's interpretation and returns the consent to send with the commit.</summary>
    /// <param name="key">The signer's P-256 private key.</param>
    /// <param name="signer">The signing actor.</param>
    /// <param name="interpretation">The chosen interpretation.</param>
    /// <param name="signedAt">Signing instant (UTC).</param>
    /// <param name="lifetime">How long the signature stays valid, at most <see cref="MaxLifetime"/>.</param>
    /// <returns>A signature consent with a fresh random nonce.</returns>
    public static ConsentGrant Sign(ECDsa key, string signer, ProposedInterpretation interpretation, DateTimeOffset signedAt, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(interpretation);
        var keyId = KeyId(key.ExportSubjectPublicKeyInfo());
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var expiresAt = signedAt + lifetime;
        var bytes = SignedBytes(interpretation.PreviewHash, interpretation.InterpretationId, signer, keyId, signedAt, expiresAt, nonce);
        var signature = key.SignData(bytes, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new ConsentGrant(ConsentKind.Signature, signer, keyId, signedAt, expiresAt, nonce, Convert.ToBase64String(signature));
    }

    /// <summary>Key id of a public key: 32 hex of SHA-256 over its SubjectPublicKeyInfo DER.</summary>
    /// <param name="subjectPublicKeyInfo">DER bytes.</param>
    /// <returns>32 lowercase hex characters.</returns>
    public static string KeyId(ReadOnlySpan<byte> subjectPublicKeyInfo) => Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo))[..32];
}
