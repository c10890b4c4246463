using Ops.Core.Envelopes;

namespace Ops.Core.Capabilities;

/// <summary>Scope of a capability (constitution A4): what it allows. Patterns are an exact name, a prefix ending in <c>*</c>, or <c>*</c>.</summary>
/// <param name="CommandTypes">Command and query type patterns, for example <c>pack.notes.*</c>.</param>
/// <param name="Targets">target_ref patterns, for example <c>note-*</c> or <c>*</c>.</param>
/// <param name="SafetyClasses">Allowed safety classes (constitution A5).</param>
/// <param name="Tenants">
/// Tenants other than its holder's own that it may act in (patterns; <c>*</c> for every tenant and for the acts that
/// span tenants: pack installs, global kill switches, shared connectors, the whole log). Null or empty: the holder's own
/// tenant only. Crossing tenants is named here, never implied by a <c>*</c> target (seed 001; DESIGN.md §3 Tenancy).
/// </param>
public sealed record CapabilityScope(IReadOnlyList<string> CommandTypes, IReadOnlyList<string> Targets, IReadOnlyList<SafetyClass> SafetyClasses, IReadOnlyList<string>? Tenants = null)
{
    /// <summary>Everything, in every tenant: every type, every target, every safety class. Only <c>init</c> and <c>admin recover</c> grant it.</summary>
    public static CapabilityScope All { get; } = new(["*"], ["*"], [SafetyClass.Read, SafetyClass.WriteInternal, SafetyClass.WriteExternalSideEffect], ["*"]);

    /// <summary>Everything within the holder's own tenant: a tenant administrator's capability (<c>tenants add</c>).</summary>
    public static CapabilityScope TenantAdmin { get; } = new(["*"], ["*"], [SafetyClass.Read, SafetyClass.WriteInternal, SafetyClass.WriteExternalSideEffect]);
}

/// <summary><c>core.ActorRegistered</c>: an actor exists. Payload schema version 1.</summary>
/// <param name="ActorId">Stable id, <c>[a-z0-9][a-z0-9._-]*</c>.</param>
/// <param name="Kind">Human, service or agent.</param>
/// <param name="TenantId">The actor's tenant; every record it makes carries it.</param>
/// <param name="DisplayName">Name shown to people.</param>
public sealed record ActorRegistered(string ActorId, ActorKind Kind, string TenantId, string DisplayName);

/// <summary><c>core.ActorDisabled</c>: the actor can no longer authenticate or act, and every capability it holds, and every
/// capability granted or delegated under those, stops authorizing anything until it is enabled again.</summary>
/// <param name="ActorId">The actor.</param>
/// <param name="Reason">Why.</param>
public sealed record ActorDisabled(string ActorId, string Reason);

/// <summary><c>core.ActorEnabled</c>: a disabled actor may authenticate and act again.</summary>
/// <param name="ActorId">The actor.</param>
public sealed record ActorEnabled(string ActorId);

/// <summary><c>core.ApiKeyRevoked</c>: the key authenticates nothing from now on, in every process sharing the log.</summary>
/// <param name="KeyId">The key.</param>
/// <param name="ActorId">Its owner.</param>
/// <param name="Reason">Why.</param>
public sealed record ApiKeyRevoked(string KeyId, string ActorId, string Reason);

/// <summary>
/// <c>core.RecoveryPerformed</c>: break-glass recovery (<c>admin recover</c>), run with the bootstrap
/// authority of whoever holds the database file (seed 004): a new consent signing key and API key for an
/// admin, the actor enabled again, and, when it held no valid root capability, a new one.
/// </summary>
/// <param name="ActorId">The recovered admin.</param>
/// <param name="SignerKeyId">The new signing key.</param>
/// <param name="ApiKeyId">The new API key's id.</param>
/// <param name="CapabilityId">The new root capability, when one was granted.</param>
/// <param name="Reason">The operator's stated reason.</param>
/// <param name="OperatorUser">The operating-system user who ran it.</param>
/// <param name="Machine">The machine it ran on.</param>
public sealed record RecoveryPerformed(string ActorId, string SignerKeyId, string ApiKeyId, string? CapabilityId, string Reason, string OperatorUser, string Machine);

/// <summary><c>core.ApiKeyIssued</c>: a bearer API key for an actor. Only the SHA-256 of the secret is stored.</summary>
/// <param name="KeyId">Public part of the key.</param>
/// <param name="ActorId">The actor the key authenticates.</param>
/// <param name="SecretSha256">SHA-256 of the secret part, 64 hex.</param>
public sealed record ApiKeyIssued(string KeyId, string ActorId, string SecretSha256);

/// <summary><c>core.CapabilityGranted</c> (constitution A4).</summary>
/// <param name="CapabilityId">Deterministic id, 64 hex.</param>
/// <param name="HolderActorId">Who may act under it.</param>
/// <param name="Scope">What it allows.</param>
/// <param name="NotBefore">Start of validity (UTC), inclusive.</param>
/// <param name="ExpiresAt">End of validity (UTC), exclusive; <see langword="null"/> for none.</param>
/// <param name="ParentCapabilityId">The capability it was granted or delegated under; it is valid only while that one's whole
/// chain is, and allows only what every capability in the chain allows. <see langword="null"/> only for a root grant made with
/// bootstrap authority (<c>init</c>, <c>admin recover</c>).</param>
/// <param name="GrantedBy">The granting actor.</param>
public sealed record CapabilityGranted(string CapabilityId, string HolderActorId, CapabilityScope Scope, DateTimeOffset NotBefore, DateTimeOffset? ExpiresAt, string? ParentCapabilityId, string GrantedBy);

/// <summary><c>core.CapabilityScopeChanged</c>: the capability's scope from now on.</summary>
/// <param name="CapabilityId">The capability.</param>
/// <param name="Scope">The new scope.</param>
public sealed record CapabilityScopeChanged(string CapabilityId, CapabilityScope Scope);

/// <summary><c>core.CapabilityRevoked</c>: the capability and every delegation under it stop being valid.</summary>
/// <param name="CapabilityId">The capability.</param>
/// <param name="Reason">Why.</param>
public sealed record CapabilityRevoked(string CapabilityId, string Reason);

/// <summary><c>core.CapabilityExpired</c>: recorded when the kernel observes that expires_at has passed.</summary>
/// <param name="CapabilityId">The capability.</param>
/// <param name="ExpiresAt">The bound that passed (UTC).</param>
public sealed record CapabilityExpired(string CapabilityId, DateTimeOffset ExpiresAt);

/// <summary><c>core.SecretHandleIssued</c>: the secret access receipt of constitution §12. Never holds the secret's value.</summary>
/// <param name="HandleId">Deterministic id of the handle.</param>
/// <param name="SecretId">Secret class, for example <c>github_token</c>.</param>
/// <param name="TokenType">How it is presented, for example the authorization scheme.</param>
/// <param name="Audience">Origin the secret is bound to.</param>
/// <param name="Scope">What the handle may be used for, for example <c>connector:github.issues</c>.</param>
/// <param name="Requester">The pack or component that asked.</param>
/// <param name="IssuedAt">Issue time (UTC).</param>
/// <param name="ExpiresAt">End of validity (UTC).</param>
/// <param name="CapabilityId">The capability under which the requesting action ran, if any.</param>
public sealed record SecretHandleIssued(string HandleId, string SecretId, string TokenType, string Audience, string Scope, string Requester, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, string? CapabilityId);

/// <summary>Names of the core event types.</summary>
public static class CoreEventTypes
{
    /// <summary><c>core.ActorRegistered</c>.</summary>
    public const string ActorRegistered = "core.ActorRegistered";

    /// <summary><c>core.ApiKeyIssued</c>.</summary>
    public const string ApiKeyIssued = "core.ApiKeyIssued";

    /// <summary><c>core.ApiKeyRevoked</c>.</summary>
    public const string ApiKeyRevoked = "core.ApiKeyRevoked";

    /// <summary><c>core.ActorDisabled</c>.</summary>
    public const string ActorDisabled = "core.ActorDisabled";

    /// <summary><c>core.ActorEnabled</c>.</summary>
    public const string ActorEnabled = "core.ActorEnabled";

    /// <summary><c>core.RecoveryPerformed</c>.</summary>
    public const string RecoveryPerformed = "core.RecoveryPerformed";

    /// <summary><c>core.CapabilityGranted</c>.</summary>
    public const string CapabilityGranted = "core.CapabilityGranted";

    /// <summary><c>core.CapabilityScopeChanged</c>.</summary>
    public const string CapabilityScopeChanged = "core.CapabilityScopeChanged";

    /// <summary><c>core.CapabilityRevoked</c>.</summary>
    public const string CapabilityRevoked = "core.CapabilityRevoked";

    /// <summary><c>core.CapabilityExpired</c>.</summary>
    public const string CapabilityExpired = "core.CapabilityExpired";

    /// <summary><c>core.SecretHandleIssued</c>.</summary>
    public const string SecretHandleIssued = "core.SecretHandleIssued";
}
