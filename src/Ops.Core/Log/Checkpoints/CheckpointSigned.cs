using Ops.Core.Packs;

namespace Ops.Core.Log.Checkpoints;

/// <summary>
/// <c>core.CheckpointSigned</c>, and the content of a checkpoint file: the log's head, signed with the
/// checkpoint key that is kept outside the database (issue 7 item 5). A checkpoint lets <c>log verify</c>
/// detect what the hash chain alone cannot: a truncated tail (the log ends before <see cref="Position"/>)
/// and a re-chained log (the row at <see cref="Position"/> has another hash, though the chain is
/// internally consistent). Payload schema version 1.
/// </summary>
/// <param name="Position">The head position signed; 0 for an empty log.</param>
/// <param name="RowHash">row_hash of the row at <paramref name="Position"/>, 64 hex (32 zero bytes for an empty log).</param>
/// <param name="OutcomesSeq">seq of the last chained command outcome; 0 when there is none.</param>
/// <param name="OutcomesHash">row_hash of that outcome, 64 hex (32 zero bytes when there is none).</param>
/// <param name="SignedAt">When it was signed (UTC).</param>
/// <param name="KeyId">The checkpoint key's id: 32 hex of SHA-256 over its SubjectPublicKeyInfo.</param>
/// <param name="Signature">ECDSA P-256 / SHA-256, IEEE P1363 (64 bytes), base64, over <see cref="CheckpointSigning.SignedBytes(long, string, long, string, DateTimeOffset, string, string?)"/>.</param>
public sealed record CheckpointSigned(long Position, string RowHash, long OutcomesSeq, string OutcomesHash, DateTimeOffset SignedAt, string KeyId, string Signature)
{
    /// <summary>
    /// SHA-256 of the log tables' schema when signed (columns, indexes, append-only triggers; 64 hex), or null for a
    /// checkpoint signed before the schema was part of the evidence (issue 20): those verify as they always did.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? SchemaHash { get; init; }
}

/// <summary>Names of the checkpoint event and stream.</summary>
public static class CheckpointEventTypes
{
    /// <summary><c>core.CheckpointSigned</c>.</summary>
    public const string CheckpointSigned = "core.CheckpointSigned";

    /// <summary>The stream every checkpoint is recorded on.</summary>
    public const string Stream = "core:checkpoints";

    /// <summary>Registers the checkpoint event as a core event (called once, from the kernel's registry factory).</summary>
    internal static void Register(IPackBuilder builder) => builder.AddEvent<CheckpointSigned>(CheckpointSigned);
}
