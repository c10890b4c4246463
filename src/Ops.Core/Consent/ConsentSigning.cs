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

    /// <summary>
    /// Checks a public key as the kernel accepts it for consent signing and pack publishers: base64 of an ECDSA P-256
    /// SubjectPublicKeyInfo (constitution A4).
    /// </summary>
    /// <param name="publicKey">The base64 text.</param>
    /// <param name="what">What the key is, named in the refusal (for example <c>Ops:PackSigning:TrustedPublishers:acme</c>).</param>
    /// <returns>Its key id (the first 32 hex of SHA-256 over the SubjectPublicKeyInfo).</returns>
    /// <exception cref="Errors.OpsException"><see cref="Errors.ReasonCodes.InvalidKey"/>: it is not such a key; the message says why.</exception>
    public static string ParsePublicKey(string publicKey, string what) => ConsentCommands.ParseKey(publicKey, what);

    /// <summary>
    /// Creates a new ECDSA P-256 consent signing key as a PKCS#8 PEM file at <paramref name="path"/>, created exclusively
    /// with mode 0600 from the first byte (its folder 0700 when missing; issue 7 item 7). The private key never leaves the
    /// file; register <see cref="ConsentKeyFile.PublicKey"/> with <c>core.RegisterSignerKey</c>.
    /// </summary>
    /// <param name="path">The new file.</param>
    /// <returns>The key's id and public key.</returns>
    /// <exception cref="IOException">The file exists (it is never overwritten) or cannot be written; nothing was created.</exception>
    public static ConsentKeyFile CreateKeyFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = key.ExportSubjectPublicKeyInfo();
        Storage.PrivateFiles.WriteNew(path, key.ExportPkcs8PrivateKeyPem());
        return new ConsentKeyFile(path, KeyId(spki), Convert.ToBase64String(spki));
    }

    /// <summary>
    /// The default key file of an actor, outside any worker's working folder:
    /// <c>&lt;per-user configuration folder&gt;/&lt;actor&gt;-signer.pem</c> (<c>$XDG_CONFIG_HOME/aligntrue-ops</c>, else
    /// <c>~/.config/aligntrue-ops</c>; <c>%APPDATA%\aligntrue-ops</c> on Windows). Nothing is created.
    /// </summary>
    /// <param name="actorId">The actor.</param>
    /// <returns>The path.</returns>
    public static string DefaultKeyFile(string actorId) => Hosting.UserConfig.SignerKeyFile(actorId);
}

/// <summary>A consent signing key file made by <see cref="ConsentSigning.CreateKeyFile"/>.</summary>
/// <param name="Path">The PEM file (mode 0600).</param>
/// <param name="KeyId">The key id: the first 32 hex of SHA-256 over its SubjectPublicKeyInfo.</param>
/// <param name="PublicKey">Base64 SubjectPublicKeyInfo.</param>
public sealed record ConsentKeyFile(string Path, string KeyId, string PublicKey);
