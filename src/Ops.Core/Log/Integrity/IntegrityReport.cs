using Ops.Core.Log.Checkpoints;

namespace Ops.Core.Log.Integrity;

/// <summary>What an integrity check found wrong; each is reported, none is repaired.</summary>
public enum IntegrityProblem
{
    /// <summary>The hash chain breaks at a row: it was edited, removed, inserted or swapped (rewritten history).</summary>
    ChainBroken = 1,

    /// <summary>The log ends before a signed checkpoint's position.</summary>
    Truncated,

    /// <summary>The row at a signed checkpoint's position has another hash: the log was rewritten and re-chained.</summary>
    Rechained,

    /// <summary>The command outcome chain breaks at a seq.</summary>
    OutcomesBroken,

    /// <summary>The outcome chain ends before a signed checkpoint's outcome seq.</summary>
    OutcomesTruncated,

    /// <summary>The outcome at a signed checkpoint's seq has another hash.</summary>
    OutcomesRechained,

    /// <summary>A checkpoint file does not parse.</summary>
    CheckpointUnreadable,

    /// <summary>A checkpoint's signature does not verify with the trusted key, or it names another key.</summary>
    CheckpointSignatureInvalid,

    /// <summary>Checkpoints were given but no trusted checkpoint key.</summary>
    NoTrustedKey,

    /// <summary>An export does not start at position 1 or at a signed checkpoint of the row before it.</summary>
    ExportUnanchored,

    /// <summary>An export does not end at a signed checkpoint of its last row.</summary>
    ExportUnsealed,

    /// <summary>An export line is neither a row nor a checkpoint, or a checkpoint stands where none belongs.</summary>
    ExportMalformed,

    /// <summary>A projection has folded past the log's head.</summary>
    ProjectionAhead,

    /// <summary>An outbox row differs from what the log recorded of its request, or one is missing or was never enqueued (issue 20 item 2).</summary>
    OutboxAltered,

    /// <summary>A stored row does not parse as what it must be (an event envelope, or the payload its core type requires).</summary>
    RowUnreadable,

    /// <summary>The log tables' schema (columns, indexes, append-only triggers) is not the one the migrations create.</summary>
    SchemaAltered,
}

/// <summary>
/// One finding: what is wrong, and where: a log position (an outcome seq for the outcome problems), or a
/// file named in the message. <see cref="From"/>, when set, starts the range that ends at
/// <see cref="Position"/> (a re-chained log can only be bracketed between two checkpoints).
/// </summary>
public sealed record IntegrityFinding(IntegrityProblem Problem, long? Position, string Message, long? From = null)
{
    /// <summary>The snake_case code printed with it, e.g. <c>truncated</c>.</summary>
    public string Code => Problem switch
    {
        IntegrityProblem.ChainBroken => "chain_broken",
        IntegrityProblem.Truncated => "truncated",
        IntegrityProblem.Rechained => "rechained",
        IntegrityProblem.OutcomesBroken => "outcomes_chain_broken",
        IntegrityProblem.OutcomesTruncated => "outcomes_truncated",
        IntegrityProblem.OutcomesRechained => "outcomes_rechained",
        IntegrityProblem.CheckpointUnreadable => "checkpoint_unreadable",
        IntegrityProblem.CheckpointSignatureInvalid => "checkpoint_signature_invalid",
        IntegrityProblem.NoTrustedKey => "no_trusted_checkpoint_key",
        IntegrityProblem.ExportUnanchored => "export_unanchored",
        IntegrityProblem.ExportUnsealed => "export_unsealed",
        IntegrityProblem.ExportMalformed => "export_malformed",
        IntegrityProblem.ProjectionAhead => "projection_ahead_of_log",
        IntegrityProblem.OutboxAltered => "outbox_altered",
        IntegrityProblem.RowUnreadable => "row_unreadable",
        IntegrityProblem.SchemaAltered => "schema_altered",
        _ => "integrity_violation",
    };
}

/// <summary>The outcome chain check: from seq 1, like the log's.</summary>
/// <param name="IsValid">Whether every chained outcome checked out.</param>
/// <param name="RowsChecked">Chained outcomes read.</param>
/// <param name="HeadSeq">Last seq read.</param>
/// <param name="HeadHash">Hash of the last valid outcome, 64 hex.</param>
/// <param name="Unchained">Outcomes with no seq: recorded before migration 20261201000002, not covered.</param>
/// <param name="FirstBrokenSeq">Where it breaks.</param>
/// <param name="Problem">What is wrong there.</param>
public sealed record OutcomeVerification(bool IsValid, long RowsChecked, long HeadSeq, string HeadHash, long Unchained, long? FirstBrokenSeq, string? Problem);

/// <summary>
/// Everything <c>log verify</c> found: the chain, the outcome chain, the checkpoints checked against
/// both, and every finding. Intact only when nothing was found. Returned by
/// <see cref="Hosting.OpsAdministration.VerifyLogAsync"/> and <see cref="Hosting.OpsAdministration.VerifyExportAsync"/>.
/// </summary>
/// <param name="Chain">The hash chain check from position 1; null when no row could be read (an empty export).</param>
/// <param name="Outcomes">The command outcome chain check from seq 1; null for an export (it carries no outcomes).</param>
/// <param name="Head">The log's head position when checked.</param>
/// <param name="OutcomesHead">The outcome chain's head seq when checked.</param>
/// <param name="TrustedCheckpoints">The checkpoints whose signature verified with the trusted key, oldest first.</param>
/// <param name="Findings">Every problem found, in the order found.</param>
/// <param name="Notes">Facts worth telling that are not problems (for example outcomes recorded before the outcome chain existed).</param>
public sealed record IntegrityReport(
    LogVerification? Chain,
    OutcomeVerification? Outcomes,
    long Head,
    long OutcomesHead,
    IReadOnlyList<CheckpointSigned> TrustedCheckpoints,
    IReadOnlyList<IntegrityFinding> Findings,
    IReadOnlyList<string> Notes)
{
    /// <summary>Whether nothing was found.</summary>
    public bool IsIntact => Findings.Count == 0;

    /// <summary>The latest trusted checkpoint, or null.</summary>
    public CheckpointSigned? Latest => TrustedCheckpoints.Count == 0 ? null : TrustedCheckpoints[^1];
}
