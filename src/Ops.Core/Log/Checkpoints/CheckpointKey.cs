using System.Security.Cryptography;
using Ops.Core.Errors;
using Ops.Core.Storage;

namespace Ops.Core.Log.Checkpoints;

/// <summary>
/// The checkpoint key pair, kept in a PEM file outside the database (default: the per-user
/// configuration folder, created 0700, the file 0600 from its first byte). A checkpoint signed with it
/// cannot be forged by someone who can only write the database.
/// </summary>
internal sealed class CheckpointKey : IDisposable
{
    private CheckpointKey(ECDsa key, string path)
    {
        Key = key;
        Path = path;
        KeyId = CheckpointSigning.KeyIdOf(key);
        PublicKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());
    }

    public ECDsa Key { get; }

    public string Path { get; }

    public string KeyId { get; }

    /// <summary>Base64 SubjectPublicKeyInfo DER: what a verifier elsewhere needs (<c>--checkpoint-key</c>).</summary>
    public string PublicKey { get; }

    /// <summary>The key in <paramref name="path"/>, or null when the file does not exist.</summary>
    /// <exception cref="OpsException"><c>integrity_violation</c> when the file is not a P-256 private key.</exception>
    public static CheckpointKey? Load(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
            if (key.KeySize != 256)
            {
                throw new CryptographicException("not a P-256 key");
            }

            key.ExportParameters(includePrivateParameters: true);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            key.Dispose();
            throw new OpsException(ReasonCodes.IntegrityViolation, $"The checkpoint key file {path} is not a P-256 private key ({ex.Message}). Nothing was signed; restore the file from your backup.", ex);
        }

        return new CheckpointKey(key, path);
    }

    /// <summary>Creates a new P-256 key in <paramref name="path"/> (0600 from the first byte); refuses to overwrite.</summary>
    public static CheckpointKey Create(string path)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        PrivateFiles.WriteNew(path, key.ExportPkcs8PrivateKeyPem());
        return new CheckpointKey(key, path);
    }

    public void Dispose() => Key.Dispose();
}

/// <summary>A checkpoint public key a verifier trusts: from the key file, or given as base64 SubjectPublicKeyInfo or a PEM file.</summary>
internal sealed class TrustedCheckpointKey : IDisposable
{
    private readonly Dictionary<CheckpointSigned, string?> _verified = [];
    private readonly List<(ECDsa Key, string KeyId)> _keys;

    private TrustedCheckpointKey(ECDsa key, string source)
    {
        _keys = [(key, CheckpointSigning.KeyIdOf(key))];
        Source = source;
    }

    /// <summary>The first trusted key (the worker's own, when it has one).</summary>
    public ECDsa Key => _keys[0].Key;

    /// <summary>The first trusted key's id.</summary>
    public string KeyId => _keys[0].KeyId;

    /// <summary>Where it came from, for the report.</summary>
    public string Source { get; private set; }

    /// <summary>
    /// <see cref="CheckpointSigning.Verify"/> with the trusted key of the checkpoint's key id (several workers may each
    /// sign with their own), remembered per checkpoint: a verify and a start check may meet the same checkpoint more
    /// than once. Not for concurrent use (nor is the ECDsa under it).
    /// </summary>
    /// <returns>Null when it verifies; otherwise what is wrong.</returns>
    public string? Verify(CheckpointSigned checkpoint)
    {
        if (!_verified.TryGetValue(checkpoint, out var result))
        {
            var (key, keyId) = _keys.FirstOrDefault(k => k.KeyId == checkpoint.KeyId, _keys[0]);
            result = CheckpointSigning.Verify(checkpoint, key, keyId);
            _verified[checkpoint] = result;
        }

        return result;
    }

    /// <summary>This key ring with <paramref name="others"/>' keys added (they are taken over: dispose only the result).</summary>
    public TrustedCheckpointKey With(IEnumerable<TrustedCheckpointKey> others)
    {
        foreach (var other in others)
        {
            _keys.AddRange(other._keys.Where(k => _keys.All(own => own.KeyId != k.KeyId)));
            Source += ", " + other.Source;
        }

        return this;
    }

    /// <summary>
    /// The keys a verifier trusts: the public half of <paramref name="own"/> (the worker's key file) and each of
    /// <paramref name="trusted"/> (<c>Ops:Checkpoints:TrustedKeys</c>: base64 SubjectPublicKeyInfo or PEM files); null when
    /// there is neither.
    /// </summary>
    /// <exception cref="OpsException"><c>bad_request</c> when a trusted key is neither form.</exception>
    public static TrustedCheckpointKey? Ring(CheckpointKey? own, IEnumerable<string> trusted)
    {
        var others = trusted.Select(Parse).ToList();
        return own is not null ? FromKeyFile(own).With(others)
            : others.Count > 0 ? others[0].With(others.Skip(1))
            : null;
    }

    /// <summary>Parses several keys, comma-separated (base64 SubjectPublicKeyInfo or PEM files), into one key ring.</summary>
    /// <exception cref="OpsException"><c>bad_request</c> when one is neither.</exception>
    public static TrustedCheckpointKey ParseAll(string values)
    {
        var parts = values.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length == 0 ? Parse(values) : Parse(parts[0]).With(parts.Skip(1).Select(Parse));
    }

    public static TrustedCheckpointKey FromKeyFile(CheckpointKey key)
    {
        var copy = ECDsa.Create();
        copy.ImportSubjectPublicKeyInfo(key.Key.ExportSubjectPublicKeyInfo(), out _);
        return new TrustedCheckpointKey(copy, key.Path);
    }

    /// <summary>Parses <c>--checkpoint-key</c>: base64 SubjectPublicKeyInfo, or a path to a PEM file (public or private key).</summary>
    /// <exception cref="OpsException"><c>bad_request</c> when it is neither.</exception>
    public static TrustedCheckpointKey Parse(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        var key = ECDsa.Create();
        try
        {
            if (File.Exists(value))
            {
                key.ImportFromPem(File.ReadAllText(value));
            }
            else
            {
                key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(value), out _);
            }

            var publicOnly = ECDsa.Create();
            publicOnly.ImportSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo(), out _);
            return new TrustedCheckpointKey(publicOnly, File.Exists(value) ? value : "--checkpoint-key");
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or ArgumentException)
        {
            throw new OpsException(ReasonCodes.BadRequest, $"--checkpoint-key is neither a base64 SubjectPublicKeyInfo nor a PEM key file ({ex.Message}). Nothing was verified.", ex);
        }
        finally
        {
            key.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var (key, _) in _keys)
        {
            key.Dispose();
        }
    }
}
