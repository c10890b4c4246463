using System.Globalization;
using System.Text.Json;
using Ops.Core.Identity;

namespace Ops.Core.Log.Checkpoints;

/// <summary>
/// A folder of checkpoint files, one JSON object (<see cref="CheckpointSigned"/>) per file, named
/// <c>checkpoint-&lt;position, 12 digits&gt;-&lt;signed_at&gt;.json</c> so they sort by position. Checkpoints are
/// public anchors, not secrets: ship them anywhere (a second machine, object storage, a ticket).
/// </summary>
internal static class CheckpointStore
{
    public const string Pattern = "checkpoint-*.json";

    /// <summary>Every checkpoint file of <paramref name="directory"/>, by name; a file that does not parse is returned with its error, never skipped.</summary>
    public static IReadOnlyList<CheckpointFile> Read(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var files = new List<CheckpointFile>();
        foreach (var path in Directory.GetFiles(directory, Pattern).Order(StringComparer.Ordinal))
        {
            files.Add(Parse(path, File.ReadAllBytes(path)));
        }

        return files;
    }

    public static CheckpointFile Parse(string name, ReadOnlySpan<byte> json)
    {
        try
        {
            var checkpoint = JsonSerializer.Deserialize<CheckpointSigned>(json, OpsJson.Options)
                ?? throw new JsonException("null");
            return Validate(checkpoint) is { } invalid ? new CheckpointFile(name, null, invalid) : new CheckpointFile(name, checkpoint, null);
        }
        catch (JsonException ex)
        {
            return new CheckpointFile(name, null, "not a checkpoint: " + ex.Message);
        }
    }

    /// <summary>Writes a new checkpoint file (to a temporary name, then moved, so a half-written file never carries the name).</summary>
    public static string Write(string directory, CheckpointSigned checkpoint)
    {
        Directory.CreateDirectory(directory);
        var name = string.Create(CultureInfo.InvariantCulture, $"checkpoint-{checkpoint.Position:D12}-{checkpoint.SignedAt.UtcDateTime:yyyyMMdd'T'HHmmssfffffff'Z'}.json");
        var path = Path.Combine(directory, name);
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, Serialize(checkpoint));
        File.Move(temporary, path, overwrite: false);
        return path;
    }

    public static byte[] Serialize(CheckpointSigned checkpoint) => CanonicalJson.SerializeToCanonical(checkpoint);

    private static string? Validate(CheckpointSigned c)
    {
        if (c.Position < 0 || c.OutcomesSeq < 0)
        {
            return "not a checkpoint: a negative position";
        }

        return IsHash(c.RowHash) && IsHash(c.OutcomesHash) ? null : "not a checkpoint: row_hash and outcomes_hash must be 64 hex";
    }

    private static bool IsHash(string? value) => value is { Length: 64 } && value.All(char.IsAsciiHexDigitLower);
}

/// <summary>One checkpoint file: its checkpoint, or why it could not be read.</summary>
internal sealed record CheckpointFile(string Name, CheckpointSigned? Checkpoint, string? Error);
