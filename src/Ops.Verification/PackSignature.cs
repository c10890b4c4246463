using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Ops.Core.Consent;
using Ops.Core.Errors;
using Ops.Core.Identity;

namespace Ops.Verification;

/// <summary>
/// Publisher signatures over a pack's content hash (constitution §3: verification before activation).
/// A signature is ECDSA P-256 / SHA-256 over <c>"aligntrue-ops/pack/v1\n" + content_hash</c>, stored as
/// <c>pack.sig</c> in the pack folder; the content hash excludes that file, so signing changes nothing else.
/// </summary>
public static class PackSignature
{
    /// <summary>The signature's file name in a pack folder.</summary>
    public const string FileName = "pack.sig";

    private const string Domain = "aligntrue-ops/pack/v1\n";

    /// <summary>The bytes a publisher signs: the domain string and the content hash, UTF-8.</summary>
    /// <param name="contentHash">The pack's content hash (64 hex).</param>
    /// <returns>The bytes.</returns>
    public static byte[] SignedBytes(string contentHash) => Encoding.UTF8.GetBytes(Domain + contentHash);

    /// <summary>Signs the folder's current content and writes <c>pack.sig</c>; returns what it signed.</summary>
    public static PackSignatureFile Sign(string directory, ECDsa key)
    {
        var snapshot = PackSnapshot.Read(directory);
        var keyId = ConsentSigning.KeyId(key.ExportSubjectPublicKeyInfo());
        var file = new PackSignatureFile(keyId, snapshot.ContentHash, Convert.ToBase64String(key.SignData(SignedBytes(snapshot.ContentHash), HashAlgorithmName.SHA256)));
        File.WriteAllBytes(Path.Combine(snapshot.Directory, FileName), JsonSerializer.SerializeToUtf8Bytes(file, OpsJson.Options));
        return file;
    }

    /// <summary>The publisher key id that signed the snapshot, or a finding; (null, null) when unsigned and not required.</summary>
    public static (string? KeyId, PackFinding? Problem) Verify(PackSnapshot snapshot, PackSigningOptions options)
    {
        if (!snapshot.Files.TryGetValue(FileName, out var bytes))
        {
            return options.Required
                ? (null, Problem("this worker requires signed packs (Ops:PackSigning:Required) and the folder has no pack.sig; sign it with 'packs sign <folder> --key <publisher key>'"))
                : (null, null);
        }

        PackSignatureFile? file;
        try
        {
            file = JsonSerializer.Deserialize<PackSignatureFile>(bytes, OpsJson.Options);
        }
        catch (JsonException)
        {
            file = null;
        }

        if (file is null || string.IsNullOrEmpty(file.KeyId) || string.IsNullOrEmpty(file.Signature))
        {
            return (null, Problem("pack.sig is not a signature file {key_id, content_hash, signature}"));
        }

        if (file.ContentHash != snapshot.ContentHash)
        {
            return (null, Problem($"pack.sig signs content {Short(file.ContentHash)}, but the folder's content is {Short(snapshot.ContentHash)}: the folder changed after it was signed"));
        }

        var publisher = options.TrustedPublishers.FirstOrDefault(p => p.KeyId == file.KeyId);
        if (publisher is null)
        {
            return (null, Problem($"pack.sig is signed by key {file.KeyId}, which is not a trusted publisher (Ops:PackSigning:TrustedPublishers)"));
        }

        try
        {
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(publisher.PublicKey, out _);
            return key.VerifyData(SignedBytes(snapshot.ContentHash), Convert.FromBase64String(file.Signature), HashAlgorithmName.SHA256)
                ? (publisher.KeyId, null)
                : (null, Problem($"pack.sig does not verify with the key of trusted publisher '{publisher.Name}'"));
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException)
        {
            return (null, Problem($"pack.sig does not verify with the key of trusted publisher '{publisher.Name}'"));
        }
    }

    private static PackFinding Problem(string message) => new(PackRuleIds.Signature, ReasonCodes.PackSignatureInvalid, message);

    private static string Short(string? hash) => hash is { Length: > 16 } ? hash[..16] : hash ?? "(none)";
}

/// <summary>What <c>pack.sig</c> holds.</summary>
/// <param name="KeyId">The publisher key id (first 32 hex of SHA-256 over its SubjectPublicKeyInfo).</param>
/// <param name="ContentHash">The content hash signed.</param>
/// <param name="Signature">Base64 ECDSA P-256 signature (IEEE P1363) over <see cref="PackSignature.SignedBytes"/>.</param>
public sealed record PackSignatureFile(string KeyId, string ContentHash, string Signature);

/// <summary>A trusted publisher: a name and an ECDSA P-256 public key.</summary>
public sealed record TrustedPublisher(string Name, string KeyId, byte[] PublicKey);

/// <summary>
/// <c>Ops:PackSigning</c>: <c>Required</c> (default false: unsigned packs install, a present signature must
/// still verify) and <c>TrustedPublishers:&lt;name&gt;</c> = base64 SubjectPublicKeyInfo of an ECDSA P-256 key.
/// </summary>
public sealed record PackSigningOptions(bool Required, IReadOnlyList<TrustedPublisher> TrustedPublishers)
{
    /// <summary>Unsigned packs allowed, no trusted publisher.</summary>
    public static PackSigningOptions None { get; } = new(false, []);

    /// <summary>Reads the section; a malformed publisher key stops the host with a message naming it.</summary>
    public static PackSigningOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Ops:PackSigning");
        var publishers = new List<TrustedPublisher>();
        foreach (var child in section.GetSection("TrustedPublishers").GetChildren().OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            string keyId;
            try
            {
                keyId = ConsentSigning.ParsePublicKey(child.Value ?? string.Empty, $"Ops:PackSigning:TrustedPublishers:{child.Key}");
            }
            catch (OpsException ex)
            {
                throw new OpsException(ReasonCodes.ConfigurationInvalid, ex.Message + " Nothing was started.", ex);
            }

            publishers.Add(new TrustedPublisher(child.Key, keyId, Convert.FromBase64String(child.Value!)));
        }

        return new PackSigningOptions(section.GetValue<bool>("Required"), publishers);
    }
}
