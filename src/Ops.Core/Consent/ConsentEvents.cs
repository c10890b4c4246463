using Ops.Core.Capabilities;
using Ops.Core.Envelopes;

namespace Ops.Core.Consent;

/// <summary><c>core.SignerKeyRegistered</c>: an actor's ECDSA P-256 public key for consent signatures.</summary>
/// <param name="KeyId">32 hex of SHA-256 over the SubjectPublicKeyInfo.</param>
/// <param name="ActorId">The key's owner.</param>
/// <param name="PublicKey">Base64 SubjectPublicKeyInfo DER.</param>
public sealed record SignerKeyRegistered(string KeyId, string ActorId, string PublicKey);

/// <summary><c>core.SignerKeyRevoked</c>: signatures by this key are refused from now on.</summary>
/// <param name="KeyId">The key.</param>
/// <param name="Reason">Why.</param>
public sealed record SignerKeyRevoked(string KeyId, string Reason);

/// <summary>Scope of a consent policy: which commands, on which targets, by which actors it approves.</summary>
/// <param name="CommandTypes">Command type patterns; never <c>core.*</c> (kernel administration needs a signature).</param>
/// <param name="Targets">target_ref patterns.</param>
/// <param name="Actors">Actor id patterns.</param>
public sealed record PolicyScope(IReadOnlyList<string> CommandTypes, IReadOnlyList<string> Targets, IReadOnlyList<string> Actors);

/// <summary><c>core.PolicyCreated</c>: a draft policy version (constitution §2: draft → active → deprecated).</summary>
/// <param name="PolicyId">Deterministic id (64 hex).</param>
/// <param name="Version">Version, from 1.</param>
/// <param name="Name">Human name.</param>
/// <param name="Scope">What it approves.</param>
/// <param name="ContentHash">SHA-256 of the canonical (name, scope, version): policies are content-addressed (constitution A7).</param>
public sealed record PolicyCreated(string PolicyId, int Version, string Name, PolicyScope Scope, string ContentHash);

/// <summary><c>core.PolicyActivated</c>: the version approves commands from now on.</summary>
/// <param name="PolicyId">The policy.</param>
/// <param name="Version">The version.</param>
public sealed record PolicyActivated(string PolicyId, int Version);

/// <summary><c>core.PolicyDeprecated</c>: the version approves nothing from now on.</summary>
/// <param name="PolicyId">The policy.</param>
/// <param name="Version">The version.</param>
public sealed record PolicyDeprecated(string PolicyId, int Version);

/// <summary><c>core.ConsentRecorded</c>: the consent a commit used; for a signature, its nonce is consumed by this record.</summary>
/// <param name="CommandId">The committed command.</param>
/// <param name="PreviewHash">The preview the consent is bound to.</param>
/// <param name="InterpretationId">The chosen interpretation.</param>
/// <param name="Consent">The consent as presented.</param>
public sealed record ConsentRecorded(string CommandId, string PreviewHash, string InterpretationId, ConsentGrant Consent);

/// <summary>
/// <c>core.MutationCommitted</c>: the audit record of a committed mutation (seed 000 §7): who, what,
/// where, when, the delta that was signed, under which capability, with which consent. Append-only.
/// </summary>
/// <param name="CommandId">The command.</param>
/// <param name="Actor">Who.</param>
/// <param name="Action">The command type.</param>
/// <param name="TargetRef">Where: the object that changed (the stream's key), which the capability covered.</param>
/// <param name="StreamId">The stream that changed.</param>
/// <param name="CommittedAt">When (UTC).</param>
/// <param name="InterpretationId">The chosen interpretation.</param>
/// <param name="PreviewHash">The signed preview's hash.</param>
/// <param name="Delta">The signed preview.</param>
/// <param name="CapabilityId">The authorizing capability.</param>
/// <param name="CapabilityStateRef">Its state in force.</param>
/// <param name="ConsentKind">Signature or policy.</param>
/// <param name="Signer">The signer, for signature consent.</param>
/// <param name="KeyId">The signer's key, for signature consent.</param>
/// <param name="PolicyId">The policy, for policy consent.</param>
/// <param name="PolicyVersion">Its version, for policy consent.</param>
/// <param name="EventIds">The events the mutation appended.</param>
public sealed record MutationCommitted(
    string CommandId,
    ActorRef Actor,
    string Action,
    string TargetRef,
    string StreamId,
    DateTimeOffset CommittedAt,
    string InterpretationId,
    string PreviewHash,
    IReadOnlyList<PreviewChange> Delta,
    string CapabilityId,
    string CapabilityStateRef,
    ConsentKind ConsentKind,
    string? Signer,
    string? KeyId,
    string? PolicyId,
    int? PolicyVersion,
    IReadOnlyList<string> EventIds)
{
    /// <summary>The client's target_ref when it named the object indirectly (a lookup such as <c>note-title:Plan</c>, or a creation target); otherwise absent.</summary>
    public string? RequestedTargetRef { get; init; }
}

/// <summary>Names of the consent event types.</summary>
public static class ConsentEventTypes
{
    /// <summary><c>core.SignerKeyRegistered</c>.</summary>
    public const string SignerKeyRegistered = "core.SignerKeyRegistered";

    /// <summary><c>core.SignerKeyRevoked</c>.</summary>
    public const string SignerKeyRevoked = "core.SignerKeyRevoked";

    /// <summary><c>core.PolicyCreated</c>.</summary>
    public const string PolicyCreated = "core.PolicyCreated";

    /// <summary><c>core.PolicyActivated</c>.</summary>
    public const string PolicyActivated = "core.PolicyActivated";

    /// <summary><c>core.PolicyDeprecated</c>.</summary>
    public const string PolicyDeprecated = "core.PolicyDeprecated";

    /// <summary><c>core.ConsentRecorded</c>.</summary>
    public const string ConsentRecorded = "core.ConsentRecorded";

    /// <summary><c>core.MutationCommitted</c>.</summary>
    public const string MutationCommitted = "core.MutationCommitted";

    /// <summary>The stream holding every audit record.</summary>
    public const string AuditStream = "core:audit";
}

/// <summary><c>core.RegisterSignerKey</c>: target_ref <c>actor-&lt;actor_id&gt;:signer-key-&lt;key_id&gt;</c> (derived from the payload): keys belong to their actor.</summary>
/// <param name="ActorId">The key's owner.</param>
/// <param name="PublicKey">Base64 SubjectPublicKeyInfo DER of an ECDSA P-256 key.</param>
public sealed record RegisterSignerKey(string ActorId, string PublicKey);

/// <summary><c>core.RevokeSignerKey</c>: target_ref <c>actor-&lt;owner&gt;:signer-key-&lt;key_id&gt;</c> (the owner comes from the log).</summary>
/// <param name="KeyId">The key.</param>
/// <param name="Reason">Why.</param>
public sealed record RevokeSignerKey(string KeyId, string Reason);

/// <summary>
/// <c>core.RotateSignerKey</c>: target_ref <c>actor-&lt;owner&gt;:signer-key-&lt;key_id&gt;</c>. Registers the new key and revokes the old one
/// in one commit, for the same owner.
/// </summary>
/// <param name="KeyId">The key being replaced.</param>
/// <param name="NewPublicKey">Base64 SubjectPublicKeyInfo DER of the new ECDSA P-256 key.</param>
/// <param name="Reason">Why (recorded); default "rotated to &lt;new key id&gt;".</param>
public sealed record RotateSignerKey(string KeyId, string NewPublicKey, string? Reason = null);

/// <summary><c>core.CreatePolicy</c>: target_ref <c>policy-&lt;name&gt;</c>; creates the next version as a draft.</summary>
/// <param name="Name">Policy name, <c>[a-z0-9][a-z0-9._-]*</c>.</param>
/// <param name="Scope">What it would approve.</param>
public sealed record CreatePolicy(string Name, PolicyScope Scope);

/// <summary><c>core.ActivatePolicy</c>: target_ref <c>policy-&lt;name&gt;</c> (the name comes from the log).</summary>
/// <param name="PolicyId">The policy.</param>
/// <param name="Version">The draft version to activate; an active older version is deprecated with it.</param>
public sealed record ActivatePolicy(string PolicyId, int Version);

/// <summary><c>core.DeprecatePolicy</c>: target_ref <c>policy-&lt;name&gt;</c>.</summary>
/// <param name="PolicyId">The policy.</param>
/// <param name="Version">The version.</param>
public sealed record DeprecatePolicy(string PolicyId, int Version);

/// <summary>A policy version's state, folded from its events.</summary>
/// <param name="PolicyId">The policy.</param>
/// <param name="Name">Its name.</param>
/// <param name="Version">The version.</param>
/// <param name="Scope">What it approves.</param>
/// <param name="Status"><c>draft</c>, <c>active</c> or <c>deprecated</c>.</param>
/// <param name="TenantId">The tenant it was created in: it consents only to commands of actors of that tenant (seed 001).</param>
public sealed record PolicyState(string PolicyId, string Name, int Version, PolicyScope Scope, string Status, string? TenantId = null);

/// <summary>Shorthand for capability scope checks reused by consent.</summary>
internal static class ConsentScope
{
    public static bool Covers(PolicyScope scope, string commandType, string targetRef, string actorId) =>
        ScopePatterns.AnyMatches(scope.CommandTypes, commandType)
        && ScopePatterns.AnyMatches(scope.Targets, targetRef)
        && ScopePatterns.AnyMatches(scope.Actors, actorId);
}
