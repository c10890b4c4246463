namespace Ops.Core.Log.Checkpoints;

/// <summary>The committed heads of the log and of the outcome chain, read in one snapshot.</summary>
/// <param name="Position">Last position, 0 when empty.</param>
/// <param name="RowHash">Its row_hash (32 zero bytes when empty).</param>
/// <param name="HeadEventType">The last event's type, or null when empty.</param>
/// <param name="OutcomesSeq">Last chained outcome seq, 0 when none.</param>
/// <param name="OutcomesHash">Its row_hash (32 zero bytes when none).</param>
public sealed record LogHeads(long Position, byte[] RowHash, string? HeadEventType, long OutcomesSeq, byte[] OutcomesHash);
