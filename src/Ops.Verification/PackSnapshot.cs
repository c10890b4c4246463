using System.Security.Cryptography;
using Ops.Core.Packs.Install;

namespace Ops.Verification;

/// <summary>
/// One read of a pack folder: its content hash and the bytes of every file in it. Verification and loading
/// both work on these bytes, never on the folder again, so a file swapped after the hash was taken is neither
/// checked nor loaded; and every file is kept, whatever its extension, because an assembly may be named
/// anything (the verifier checks each file that is one).
/// </summary>
public sealed class PackSnapshot
{
    /// <summary>Largest pack folder the host reads (a bound on memory, not a rule of taste).</summary>
    public const long MaxBytes = 256L * 1024 * 1024;

    private PackSnapshot(string directory, IReadOnlyDictionary<string, byte[]> files, IReadOnlyList<PackFileRecord> records)
    {
        Directory = directory;
        Files = files;
        FileRecords = records;
        ContentHash = PackFileRecord.ContentHashOf(records);
    }

    /// <summary>The folder's absolute path.</summary>
    public string Directory { get; }

    /// <summary>SHA-256 over every file's relative path and SHA-256, in ordinal order, the signature file excluded (constitution A7).</summary>
    public string ContentHash { get; }

    /// <summary>Bytes of every file by relative path with '/' separators.</summary>
    public IReadOnlyDictionary<string, byte[]> Files { get; }

    /// <summary>
    /// Every file but the signature file, by relative path with its SHA-256, in ordinal order: what an install records
    /// and what the loader compares before it loads anything (issue 16 item 3).
    /// </summary>
    public IReadOnlyList<PackFileRecord> FileRecords { get; }

    /// <summary>Reads the folder once; throws <see cref="DirectoryNotFoundException"/> or <see cref="InvalidDataException"/>.</summary>
    public static PackSnapshot Read(string directory)
    {
        var root = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"pack folder {root} does not exist");
        }

        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var records = new List<PackFileRecord>();
        long total = 0;
        foreach (var relative in System.IO.Directory.GetFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(Path.Combine(root, relative));
            total += bytes.Length;
            if (total > MaxBytes)
            {
                throw new InvalidDataException($"pack folder {root} holds more than {MaxBytes / (1024 * 1024)} MiB");
            }

            files[relative] = bytes;

            if (relative != PackSignature.FileName)
            {
                records.Add(new PackFileRecord(relative, Convert.ToHexStringLower(SHA256.HashData(bytes))));
            }
        }

        return new PackSnapshot(root, files, records);
    }

    /// <summary>The bytes of <paramref name="path"/> (absolute, inside the folder), or null when the snapshot did not keep it.</summary>
    public byte[]? BytesOf(string path)
    {
        var relative = Path.GetRelativePath(Directory, Path.GetFullPath(path)).Replace('\\', '/');
        return Files.TryGetValue(relative, out var bytes) ? bytes : null;
    }
}
