using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Storage;

namespace Ops.Core.Log;

/// <summary>Command outcomes (the idempotency record of constitution A2) inside a writer session.</summary>
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
        var command = session.Cached("INSERT INTO command_outcomes (command_id, content_hash, command_type, status, outcome, decided_at) VALUES ($id, $hash, $type, $status, $outcome, $at)");
        command.Parameters.AddWithValue("$id", outcome.CommandId);
        command.Parameters.AddWithValue("$hash", contentHash);
        command.Parameters.AddWithValue("$type", outcome.CommandType);
        command.Parameters.AddWithValue("$status", outcome.Status == CommandStatus.Accepted ? "accepted" : "rejected");
        command.Parameters.AddWithValue("$outcome", CanonicalJson.SerializeToCanonical(outcome));
        command.Parameters.AddWithValue("$at", outcome.DecidedAt.UtcTicks);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
