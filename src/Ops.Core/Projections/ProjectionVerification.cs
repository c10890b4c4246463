namespace Ops.Core.Projections;

/// <summary>What <see cref="ProjectionEngine.VerifyAsync"/> found for one projection (<c>projections verify</c>).</summary>
/// <param name="Projection">The projection's registered name.</param>
/// <param name="Version">Its registered version.</param>
/// <param name="StoredVersion">The version its checkpoint was written by, or <see langword="null"/> when it has none.</param>
/// <param name="Status">The verdict.</param>
/// <param name="Position">The stored checkpoint's log position: the rebuild folded every event up to it (0 without a checkpoint).</param>
/// <param name="StoredDocuments">Documents stored.</param>
/// <param name="RebuiltDocuments">Documents the in-memory rebuild gave; <see langword="null"/> when nothing was rebuilt.</param>
/// <param name="StoredHash">State hash of the stored documents (<see cref="StateHash"/>).</param>
/// <param name="RebuiltHash">State hash of the rebuild; <see langword="null"/> when nothing was rebuilt.</param>
/// <param name="FirstDifference">For <see cref="ProjectionVerificationStatus.Differs"/>: the first differing document as <c>tenant/mode/key</c> and how it differs.</param>
public sealed record ProjectionVerification(
    string Projection,
    int Version,
    int? StoredVersion,
    ProjectionVerificationStatus Status,
    long Position,
    long StoredDocuments,
    long? RebuiltDocuments,
    string StoredHash,
    string? RebuiltHash,
    string? FirstDifference);

/// <summary>The verdict of a projection check.</summary>
public enum ProjectionVerificationStatus
{
    /// <summary>The stored documents are exactly what the log folds into, up to the checkpoint.</summary>
    Match = 1,

    /// <summary>The stored documents differ from the rebuild: changed behind the kernel's back, or a fold that is not deterministic.</summary>
    Differs = 2,

    /// <summary>No checkpoint: the next catch-up (before any read) rebuilds the projection from the log, so there is nothing to check.</summary>
    NotBuilt = 3,

    /// <summary>The checkpoint was written by another version of the projection: the next catch-up rebuilds it.</summary>
    VersionChanged = 4,
}
