using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Storage;

namespace Ops.Core.Log;

/// <summary>
/// Command outcomes (the idempotency record of constitution A2) inside a writer session. Each outcome
/// is chained to the one before it (<see cref="OutcomeChain"/>), so an edit, a removal or a truncation
/// of <c>command_outcomes</c> is found by <c>log verify</c> and by the signed checkpoints.
/// </summary>
[Authority(AuthorityClass.LogAppender, "command_outcomes")]
internal static class OutcomeStore
{
    public static async ValueTask<(CommandOutcome Outcome, string ContentHash)?> FindAsync(WriteSession session, string commandId, CancellationToken cancellationToken)
    {
        var command = session.Cached("SELECT outcome, content_hash FROM command_outcomes WHERE command_id = $id");
        command.Parameters.AddWithValue("$id", commandId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var outcome = JsonSerializer.Deserialize<CommandOutcome>((byte[])reader.GetValue(0), OpsJson.Options)!;
        return (outcome, reader.GetString(1));
    }

    public static async ValueTask RecordAsync(WriteSession session, CommandOutcome outcome, string contentHash, CancellationToken cancellationToken)
    {
        var (headSeq, headHash) = session.OutcomeHead;
        var row = new OutcomeRow(
            headSeq + 1,
            outcome.CommandId,
            contentHash,
            outcome.CommandType,
            outcome.Status == CommandStatus.Accepted ? "accepted" : "rejected",
            CanonicalJson.SerializeToCanonical(outcome),
            outcome.DecidedAt.UtcTicks);
        var rowHash = OutcomeChain.RowHash(headHash, row);
        var command = session.Cached("INSERT INTO command_outcomes (command_id, content_hash, command_type, status, outcome, decided_at, seq, prev_hash, row_hash) VALUES ($id, $hash, $type, $status, $outcome, $at, $seq, $prev, $row)");
        command.Parameters.AddWithValue("$id", row.CommandId);
        command.Parameters.AddWithValue("$hash", row.ContentHash);
        command.Parameters.AddWithValue("$type", row.CommandType);
        command.Parameters.AddWithValue("$status", row.Status);
        command.Parameters.AddWithValue("$outcome", row.Outcome);
        command.Parameters.AddWithValue("$at", row.DecidedAtTicks);
        command.Parameters.AddWithValue("$seq", row.Seq);
        command.Parameters.AddWithValue("$prev", headHash);
        command.Parameters.AddWithValue("$row", rowHash);
        await command.ExecuteNonQueryAsync(cancellationToken);
        session.AdvanceOutcomes(row.Seq, rowHash);
    }
}
