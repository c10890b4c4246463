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
    public static async ValueTask<(CommandOutcome Outcome, string ContentHash)?> FindAsync(WriteSession session, string commandId, CancellationToken cancellationToken) =>
        await session.Transaction.FindOutcomeAsync(commandId, cancellationToken) is { } found ? (found.Outcome, found.ContentHash) : null;

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
        await session.Transaction.InsertOutcomeAsync(row, headHash, rowHash, cancellationToken);
        session.AdvanceOutcomes(row.Seq, rowHash);
    }
}
