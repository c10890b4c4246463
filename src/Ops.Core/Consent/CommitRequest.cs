using Ops.Core.Envelopes;

namespace Ops.Core.Consent;

/// <summary>
/// A commit (seed 000 §6): the proposed command, the chosen interpretation and the consent bound to its
/// preview hash. The kernel decides again against current state at <see cref="ProposedAt"/>; if the
/// chosen interpretation's preview hash differs, nothing is written.
/// </summary>
/// <param name="Command">The command as proposed (the <see cref="Proposal.Command"/>).</param>
/// <param name="ProposedAt">The proposal's <see cref="Proposal.ProposedAt"/>.</param>
/// <param name="InterpretationId">The chosen interpretation.</param>
/// <param name="PreviewHash">Its preview hash, as signed. May be omitted only with policy consent on an unambiguous command: the kernel then proposes and commits in one step.</param>
/// <param name="Consent">A signature or an active policy.</param>
public sealed record CommitRequest(CommandEnvelope Command, DateTimeOffset? ProposedAt, string? InterpretationId, string? PreviewHash, ConsentGrant Consent);

/// <summary>
/// Consent to one preview: either a signer's signature (ECDSA P-256 over <see cref="ConsentSigning.SignedBytes"/>,
/// IEEE P1363 r‖s, base64) or an active policy's id and version.
/// </summary>
/// <param name="Kind"><c>signature</c> or <c>policy</c>.</param>
/// <param name="Signer">Signing actor (must be the acting actor).</param>
/// <param name="KeyId">The signer's registered key.</param>
/// <param name="SignedAt">When it was signed (UTC).</param>
/// <param name="ExpiresAt">When the signature stops being valid (UTC), at most 1 hour after signed_at.</param>
/// <param name="Nonce">16 to 64 characters of [A-Za-z0-9_-]; a signature is used once.</param>
/// <param name="Signature">Base64 of the 64-byte P1363 signature.</param>
/// <param name="PolicyId">The policy, for policy consent.</param>
/// <param name="PolicyVersion">Its version, for policy consent.</param>
public sealed record ConsentGrant(
    ConsentKind Kind,
    string? Signer = null,
    string? KeyId = null,
    DateTimeOffset? SignedAt = null,
    DateTimeOffset? ExpiresAt = null,
    string? Nonce = null,
    string? Signature = null,
    string? PolicyId = null,
    int? PolicyVersion = null);

/// <summary>The two ways to consent (DESIGN.md §3).</summary>
public enum ConsentKind
{
    /// <summary>A signer's single-use, expiring signature bound to the preview.</summary>
    Signature = 1,

    /// <summary>An active policy whose scope covers the command.</summary>
    Policy = 2,
}

/// <summary>What a successful commit returns.</summary>
/// <param name="Outcome">The command's outcome.</param>
/// <param name="FinalState">The target's state after the commit (the preview's "after"), or <see langword="null"/> when it was removed.</param>
/// <param name="AuditEventId">Event id of the <c>core.MutationCommitted</c> audit record.</param>
public sealed record CommitResult(CommandOutcome Outcome, System.Text.Json.JsonElement? FinalState, string? AuditEventId);
