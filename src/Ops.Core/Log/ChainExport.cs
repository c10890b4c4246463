using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ops.Core.Identity;
using Ops.Core.Log.Checkpoints;
using Ops.Core.Log.Integrity;

namespace Ops.Core.Log;

/// <summary>
/// The one export format of the log (<c>log export</c>, <c>audit export</c>): JSON Lines carrying the hash
/// chain, sealed by a signed checkpoint, verifiable without the database (seed 000 §7: records are
/// exportable; an export proves itself). Each line is RFC 8785 canonical JSON:
/// <list type="bullet">
/// <item>optionally first, <c>{"checkpoint":{...}}</c>: the signed checkpoint of the row before the first exported row (required when the export does not start at position 1);</item>
/// <item>one row per line: <c>{"position","event_id","stream_id","stream_version","event_type","occurred_at_ticks","source_ref","source_sequence","envelope","prev_hash","row_hash"}</c>, hashes as 64 hex, the envelope as its stored canonical JSON object;</item>
/// <item>last, <c>{"checkpoint":{...}}</c>: the signed checkpoint of the last exported row.</item>
/// </list>
/// </summary>
internal static class ChainExport
{
    /// <summary>Writes rows after <paramref name="start"/> (from position 1 when null) up to <paramref name="end"/>, framed by both checkpoints.</summary>
    /// <returns>The number of rows written.</returns>
    public static async Task<long> ExportAsync(Storage.IEventStore log, TextWriter output, CheckpointSigned? start, CheckpointSigned end, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(end);
        var from = (start?.Position ?? 0) + 1;
        if (start is not null)
        {
            await WriteCheckpointAsync(output, start);
        }

        long count = 0;
        await foreach (var stored in log.ReadRowsAsync(from, end.Position, cancellationToken))
        {
            var row = stored.Row;
            var line = new JsonObject
            {
                ["position"] = row.Position,
                ["event_id"] = Convert.ToHexStringLower(row.EventId),
                ["stream_id"] = row.StreamId,
                ["stream_version"] = row.StreamVersion,
                ["event_type"] = row.EventType,
                ["occurred_at_ticks"] = row.OccurredAtTicks.ToString(CultureInfo.InvariantCulture),
                ["source_ref"] = row.SourceRef,
                ["source_sequence"] = row.SourceSequence,
                ["envelope"] = JsonNode.Parse(row.Envelope),
                ["prev_hash"] = Convert.ToHexStringLower(stored.PrevHash),
                ["row_hash"] = Convert.ToHexStringLower(stored.RowHash),
            };
            await output.WriteLineAsync(Encoding.UTF8.GetString(CanonicalJson.SerializeToCanonical(line)));
            count++;
        }

        await WriteCheckpointAsync(output, end);
        return count;
    }

    /// <summary>
    /// Verifies an export without the database: each row's hash, each link, no gaps; it must start at
    /// position 1 or right after a signed checkpoint, and end at a signed checkpoint of its last row, both
    /// verified with <paramref name="key"/>. A partial or fabricated export is refused with a finding that
    /// names the problem.
    /// </summary>
    public static async Task<IntegrityReport> VerifyAsync(TextReader input, TrustedCheckpointKey? key, CancellationToken cancellationToken)
    {
        var findings = new List<IntegrityFinding>();
        var trusted = new List<CheckpointSigned>();
        ChainScanner? scanner = null;
        CheckpointSigned? start = null;
        CheckpointSigned? pendingEnd = null;
        long lineNumber = 0;
        long? firstPosition = null;
        string? line;
        while ((line = await input.ReadLineAsync(cancellationToken)) is not null)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (pendingEnd is not null)
            {
                findings.Add(new IntegrityFinding(IntegrityProblem.ExportMalformed, pendingEnd.Position, $"line {lineNumber - 1} is a checkpoint, but rows follow it: a checkpoint may only open or close an export"));
                return Report(scanner, findings, trusted);
            }

            JsonElement e;
            try
            {
                using var doc = JsonDocument.Parse(line);
                e = doc.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                findings.Add(new IntegrityFinding(IntegrityProblem.ExportMalformed, null, $"line {lineNumber} is not JSON: {ex.Message}"));
                return Report(scanner, findings, trusted);
            }

            if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("checkpoint", out var checkpointJson))
            {
                var parsed = CheckpointStore.Parse($"line {lineNumber}", Encoding.UTF8.GetBytes(checkpointJson.GetRawText()));
                if (parsed.Checkpoint is null)
                {
                    findings.Add(new IntegrityFinding(IntegrityProblem.ExportMalformed, null, $"line {lineNumber}: {parsed.Error}"));
                    return Report(scanner, findings, trusted);
                }

                if (Refused(parsed.Checkpoint, key, lineNumber, findings))
                {
                    return Report(scanner, findings, trusted);
                }

                trusted.Add(parsed.Checkpoint);
                if (scanner is null && start is null)
                {
                    start = parsed.Checkpoint;
                }
                else
                {
                    pendingEnd = parsed.Checkpoint;
                }

                continue;
            }

            var (row, storedPrevious, storedHash, malformed) = ReadRow(e, lineNumber);
            if (malformed is not null)
            {
                findings.Add(malformed);
                return Report(scanner, findings, trusted);
            }

            if (scanner is null)
            {
                firstPosition = row.Position;
                if (row.Position != 1 && (start is null || start.Position != row.Position - 1))
                {
                    findings.Add(new IntegrityFinding(IntegrityProblem.ExportUnanchored, row.Position, start is null
                        ? $"the export starts at position {row.Position} with no checkpoint before it: only an export from position 1, or one that opens with the signed checkpoint of position {row.Position - 1}, can be verified (a partial export)"
                        : $"the export opens with a checkpoint of position {start.Position}, but its first row is position {row.Position}, not {start.Position + 1}"));
                    return Report(scanner, findings, trusted);
                }

                scanner = row.Position == 1 ? new ChainScanner() : new ChainScanner(row.Position, Convert.FromHexString(start!.RowHash));
            }

            if (!scanner.Step(row, storedPrevious, storedHash))
            {
                findings.Add(new IntegrityFinding(IntegrityProblem.ChainBroken, scanner.BrokenAt, scanner.Problem!));
                return Report(scanner, findings, trusted);
            }
        }

        scanner ??= new ChainScanner((start?.Position ?? 0) + 1, start is null ? default : Convert.FromHexString(start.RowHash));
        var end = pendingEnd ?? (firstPosition is null && start is not null ? start : null);
        var last = scanner.LastPosition;
        if (end is null)
        {
            findings.Add(new IntegrityFinding(IntegrityProblem.ExportUnsealed, last, $"the export does not end with a signed checkpoint of its last row (position {last}): it was cut short, or put together by hand"));
        }
        else if (end.Position != last || !string.Equals(end.RowHash, Convert.ToHexStringLower(scanner.PreviousHash), StringComparison.Ordinal))
        {
            findings.Add(new IntegrityFinding(IntegrityProblem.ExportUnsealed, last, end.Position != last
                ? $"the closing checkpoint signs position {end.Position}, but the last row is position {last}: rows were removed from or added to the end"
                : $"the closing checkpoint signs hash {end.RowHash[..16]}… for position {last}, but the rows hash to {Convert.ToHexStringLower(scanner.PreviousHash)[..16]}…: the rows are not the ones signed"));
        }

        return Report(scanner, findings, trusted);
    }

    private static bool Refused(CheckpointSigned checkpoint, TrustedCheckpointKey? key, long lineNumber, List<IntegrityFinding> findings)
    {
        if (key is null)
        {
            findings.Add(new IntegrityFinding(IntegrityProblem.NoTrustedKey, checkpoint.Position, "no trusted checkpoint key, so the export's checkpoints cannot be checked: pass --checkpoint-key <public key or PEM file> (log checkpoint --show-key prints it)"));
            return true;
        }

        if (key.Verify(checkpoint) is { } bad)
        {
            findings.Add(new IntegrityFinding(IntegrityProblem.CheckpointSignatureInvalid, checkpoint.Position, $"the checkpoint on line {lineNumber} (position {checkpoint.Position}) is refused: {bad}"));
            return true;
        }

        return false;
    }

    private static IntegrityReport Report(ChainScanner? scanner, List<IntegrityFinding> findings, List<CheckpointSigned> trusted)
    {
        var chain = (scanner ?? new ChainScanner()).Result();
        return new IntegrityReport(chain, null, chain.HeadPosition, 0, trusted, findings, []);
    }

    /// <summary>An export line as a chain row with its stored hashes, or the finding (code <c>export_malformed</c>) that it is not one.</summary>
    private static (ChainRow Row, byte[] StoredPrevious, byte[] StoredHash, IntegrityFinding? Malformed) ReadRow(JsonElement e, long lineNumber)
    {
        try
        {
            var row = new ChainRow(
                e.GetProperty("position").GetInt64(),
                Convert.FromHexString(e.GetProperty("event_id").GetString()!),
                e.GetProperty("stream_id").GetString()!,
                e.GetProperty("stream_version").GetInt64(),
                e.GetProperty("event_type").GetString()!,
                long.Parse(e.GetProperty("occurred_at_ticks").GetString()!, CultureInfo.InvariantCulture),
                e.GetProperty("source_ref").GetString()!,
                e.GetProperty("source_sequence").ValueKind == JsonValueKind.Null ? null : e.GetProperty("source_sequence").GetInt64(),
                CanonicalJson.Canonicalize(e.GetProperty("envelope")));
            return (row, Convert.FromHexString(e.GetProperty("prev_hash").GetString()!), Convert.FromHexString(e.GetProperty("row_hash").GetString()!), null);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or ArgumentNullException)
        {
            return (default, [], [], new IntegrityFinding(IntegrityProblem.ExportMalformed, null, $"line {lineNumber} is not an export row: {ex.Message}"));
        }
    }

    private static Task WriteCheckpointAsync(TextWriter output, CheckpointSigned checkpoint) =>
        output.WriteLineAsync(Encoding.UTF8.GetString(CanonicalJson.SerializeToCanonical(new JsonObject { ["checkpoint"] = JsonNode.Parse(CheckpointStore.Serialize(checkpoint)) })));
}
