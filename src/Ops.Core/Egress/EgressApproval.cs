using System.Security.Cryptography;
using Ops.Core.Consent;

namespace Ops.Core.Egress;

/// <summary>
/// How an approver signs an egress request (constitution A5: approval by an actor, bound to what goes out): the bytes
/// of <see cref="ConsentSigning.SignedBytes"/> with <c>preview_hash</c> = the request's hash and
/// <c>interpretation_id</c> = its request id, ECDSA P-256 with SHA-256, single use. Public so any client can sign.
/// </summary>
public static class EgressApproval
{
    /// <summary>Signs the approval of one request.</summary>
    /// <param name="key">The approver's registered P-256 private key.</param>
    /// <param name="signer">The approving actor (must be the caller).</param>
    /// <param name="requestId">The request (64 hex).</param>
    /// <param name="requestHash">Its hash (64 hex), as listed.</param>
    /// <param name="signedAt">Signing instant (UTC).</param>
    /// <param name="lifetime">At most <see cref="ConsentSigning.MaxLifetime"/>.</param>
    /// <returns>A signature consent with a fresh random nonce.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static ConsentGrant Sign(ECDsa key, string signer, string requestId, string requestHash, DateTimeOffset signedAt, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(signer);
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        ArgumentException.ThrowIfNullOrEmpty(requestHash);
        var keyId = ConsentSigning.KeyId(key.ExportSubjectPublicKeyInfo());
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var expiresAt = signedAt + lifetime;
        var bytes = ConsentSigning.SignedBytes(requestHash, requestId, signer, keyId, signedAt, expiresAt, nonce);
        var signature = key.SignData(bytes, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new ConsentGrant(ConsentKind.Signature, signer, keyId, signedAt, expiresAt, nonce, Convert.ToBase64String(signature));
    }
}
