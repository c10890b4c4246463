using Ops.Core.Identity;

namespace Ops.Shared;

/// <summary>
/// A foreign entity seen through a source, with provenance (constitution §1: "foreign entities
/// treated as external refs with provenance"). Packs use it to name things they do not own, such as a
/// GitHub issue referenced from a note, without importing the pack that ingests them.
/// </summary>
/// <param name="System">The source system, lowercase, for example <c>github</c>.</param>
/// <param name="Kind">The entity kind in that system, for example <c>issue</c>.</param>
/// <param name="NativeId">The source's own id, for example <c>octo/repo#13</c>.</param>
/// <param name="ObservedBy">The connector id that observed it, for example <c>github.issues</c>.</param>
/// <param name="ObservedAt">When it was observed (UTC).</param>
public sealed record ExternalRef(string System, string Kind, string NativeId, string ObservedBy, DateTimeOffset ObservedAt)
{
    /// <summary>Stable key of the entity, independent of when or by whom it was observed: 64 hex of SHA-256 over (system, kind, native_id).</summary>
    public string Key => DeterministicIds.Derive("external-ref", System, Kind, NativeId);

    /// <summary>Checks the fields: non-empty, system and kind lowercase.</summary>
    /// <returns>Why it is invalid, or <see langword="null"/>.</returns>
    public string? Validate() =>
        string.IsNullOrWhiteSpace(System) || System != System.ToLowerInvariant() ? "system must be a non-empty lowercase name."
        : string.IsNullOrWhiteSpace(Kind) || Kind != Kind.ToLowerInvariant() ? "kind must be a non-empty lowercase name."
        : string.IsNullOrWhiteSpace(NativeId) ? "native_id is required."
        : string.IsNullOrWhiteSpace(ObservedBy) ? "observed_by is required."
        : null;
}
