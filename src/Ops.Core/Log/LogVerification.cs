namespace Ops.Core.Log;

/// <summary>The result of <c>log verify</c>: the chain checked row by row from position 1.</summary>
/// <param name="IsValid">Whether every row checked out.</param>
/// <param name="RowsChecked">Rows read, including the first broken one.</param>
/// <param name="HeadPosition">Last position read.</param>
/// <param name="HeadHash">Hash of the last valid row, 64 hex; signed checkpoints (<c>log checkpoint</c>) anchor it outside the database, so a truncated or re-chained log is detected too.</param>
/// <param name="FirstBrokenPosition">The first position where the chain breaks, when it does.</param>
/// <param name="Problem">What is wrong at that position.</param>
public sealed record LogVerification(bool IsValid, long RowsChecked, long HeadPosition, string HeadHash, long? FirstBrokenPosition, string? Problem);
