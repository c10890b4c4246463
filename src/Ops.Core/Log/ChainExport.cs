using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ops.Core.Identity;

namespace Ops.Core.Log;

/// <summary>
/// JSON Lines export of the log carrying the hash chain, and its offline verification (seed 000 §7:
/// records are exportable; an export proves itself without the database). One line per row:
/// <c>{"position","event_id","stream_id","stream_version","event_type","occurred_at_ticks","source_ref","source_sequence","envelope","prev_hash","row_hash"}</c>,
/// hashes as 64 hex, the envelope as its stored canonical JSON object.
/// </summary>
internal static class ChainExport
{
    public static async Task<long> ExportAsync(SqliteEventLog log, TextWriter output, long fromPosition, CancellationToken cancellationToken)
    {
        await using var connection = log.Database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM events WHERE position >= $from ORDER BY position";
        command.Parameters.AddWithValue("$from", Math.Max(1, fromPosition));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        long count = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            var line = new JsonObject
            {
                ["position"] = reader.GetInt64(0),
                ["event_id"] = Convert.ToHexStringLower((byte[])reader.GetValue(1)),
                ["stream_id"] = reader.GetString(2),
                ["stream_version"] = reader.GetInt64(3),
                ["event_type"] = reader.GetString(4),
                ["occurred_at_ticks"] = reader.GetInt64(5).ToString(CultureInfo.InvariantCulture),
                ["source_ref"] = reader.GetString(6),
                ["source_sequence"] = reader.IsDBNull(7) ? null : reader.GetInt64(7),
                ["envelope"] = JsonNode.Parse((byte[])reader.GetValue(8)),
                ["prev_hash"] = Convert.ToHexStringLower((byte[])reader.GetValue(9)),
                ["row_hash"] = Convert.ToHexStringLower((byte[])reader.GetValue(10)),
            };
            await output.WriteLineAsync(Encoding.UTF8.GetString(CanonicalJson.SerializeToCanonical(line)));
            count++;
        }

        return count;
    }

    /// <summary>Verifies an export without the database: each row's hash, each link, no gaps. The first row's prev_hash anchors a partial export.</summary>
    public static async Task<LogVerification> VerifyAsync(TextReader input, CancellationToken cancellationToken)
    {
        byte[]? previous = null;
        long expected = 0;
        long rows = 0;
        string? line;
        while ((line = await input.ReadLineAsync(cancellationToken)) is not null)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            rows++;
            ChainRow row;
            byte[] storedPrevious;
            byte[] storedHash;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var e = doc.RootElement;
                row = new ChainRow(
                    e.GetProperty("position").GetInt64(),
                    Convert.FromHexString(e.GetProperty("event_id").GetString()!),
                    e.GetProperty("stream_id").GetString()!,
                    e.GetProperty("stream_version").GetInt64(),
                    e.GetProperty("event_type").GetString()!,
                    long.Parse(e.GetProperty("occurred_at_ticks").GetString()!, CultureInfo.InvariantCulture),
                    e.GetProperty("source_ref").GetString()!,
                    e.GetProperty("source_sequence").ValueKind == JsonValueKind.Null ? null : e.GetProperty("source_sequence").GetInt64(),
                    CanonicalJson.Canonicalize(e.GetProperty("envelope")));
                storedPrevious = Convert.FromHexString(e.GetProperty("prev_hash").GetString()!);
                storedHash = Convert.FromHexString(e.GetProperty("row_hash").GetString()!);
            }
            catch (Exception ex) when (ex is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
            {
                return new LogVerification(false, rows, expected, previous is null ? string.Empty : Convert.ToHexStringLower(previous), expected == 0 ? null : expected, $"line {rows} is not an export row: {ex.Message}");
            }

            if (previous is null)
            {
                // A partial export starts from its first row's link; a full export from the genesis hash.
                previous = row.Position == 1 ? LogChain.Genesis : storedPrevious;
                expected = row.Position;
            }

            var failure = SqliteEventLog.Check(row, expected, previous, storedPrevious, storedHash);
            if (failure is not null)
            {
                return new LogVerification(false, rows, row.Position, Convert.ToHexStringLower(previous), row.Position, failure);
            }

            previous = storedHash;
            expected++;
        }

        return new LogVerification(true, rows, expected - 1, previous is null ? Convert.ToHexStringLower(LogChain.Genesis) : Convert.ToHexStringLower(previous), null, null);
    }
}
