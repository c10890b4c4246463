using Ops.Core.Storage;

namespace Ops.Core.Log.Checkpoints;

/// <summary>The committed heads of the log and of the outcome chain, read in one snapshot.</summary>
/// <param name="Position">Last position, 0 when empty.</param>
/// <param name="RowHash">Its row_hash (32 zero bytes when empty).</param>
/// <param name="HeadEventType">The last event's type, or null when empty.</param>
/// <param name="OutcomesSeq">Last chained outcome seq, 0 when none.</param>
/// <param name="OutcomesHash">Its row_hash (32 zero bytes when none).</param>
internal sealed record LogHeads(long Position, byte[] RowHash, string? HeadEventType, long OutcomesSeq, byte[] OutcomesHash)
{
    /// <summary>Reads both heads in one read transaction (WAL: a consistent snapshot of committed rows only).</summary>
    public static async Task<LogHeads> ReadAsync(SqliteDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var transaction = connection.BeginTransaction(deferred: true);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT position, row_hash, event_type FROM events ORDER BY position DESC LIMIT 1";
        long position = 0;
        var rowHash = LogChain.Genesis;
        string? type = null;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                (position, rowHash, type) = (reader.GetInt64(0), (byte[])reader.GetValue(1), reader.GetString(2));
            }
        }

        command.CommandText = "SELECT seq, row_hash FROM command_outcomes WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1";
        long seq = 0;
        var outcomesHash = LogChain.Genesis;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                (seq, outcomesHash) = (reader.GetInt64(0), (byte[])reader.GetValue(1));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return new LogHeads(position, rowHash, type, seq, outcomesHash);
    }
}
