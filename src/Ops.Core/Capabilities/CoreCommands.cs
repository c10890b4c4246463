using System.Text.RegularExpressions;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Identity;
using Ops.Core.Packs;

namespace Ops.Core.Capabilities;

/// <summary><c>core.RegisterActor</c>: target_ref <c>actor-&lt;actor_id&gt;</c> (derived from the payload).</summary>
/// <param name="ActorId">New actor id, <c>[a-z0-9][a-z0-9._-]{0,63}</c>.</param>
/// <param name="Kind">Human, service or agent.</param>
/// <param name="DisplayName">Name shown to people, at most 200 characters.</param>
/// <param name="TenantId">Tenant; defaults to the caller's.</param>
public sealed record RegisterActor(string ActorId, ActorKind Kind, string DisplayName, string? TenantId = null);

/// <summary><c>core.DisableActor</c>: target_ref <c>actor-&lt;actor_id&gt;</c>. The actor stops authenticating and acting at once, in every process.</summary>
/// <param name="ActorId">The actor.</param>
/// <param name="Reason">Why (recorded), at most 500 characters.</param>
public sealed record DisableActor(string ActorId, string Reason);

/// <summary><c>core.EnableActor</c>: target_ref <c>actor-&lt;actor_id&gt;</c>.</summary>
/// <param name="ActorId">The actor.</param>
public sealed record EnableActor(string ActorId);

/// <summary>
/// <c>core.IssueApiKey</c>: target_ref <c>actor-&lt;actor_id&gt;:apikey-&lt;key_id&gt;</c> (derived from the payload): keys belong
/// to their actor, so the capability must cover that actor's keys. The caller hashes the secret; the kernel never sees it.
/// </summary>
/// <param name="KeyId">Public key id, <c>[a-z0-9][a-z0-9._-]{0,63}</c>.</param>
/// <param name="ActorId">Actor the key authenticates.</param>
/// <param name="SecretSha256">SHA-256 of the secret, 64 lowercase hex.</param>
public sealed record IssueApiKey(string KeyId, string ActorId, string SecretSha256);

/// <summary><c>core.RevokeApiKey</c>: target_ref <c>actor-&lt;owner&gt;:apikey-&lt;key_id&gt;</c> (the owner comes from the log).</summary>
/// <param name="KeyId">The key.</param>
/// <param name="Reason">Why (recorded).</param>
public sealed record RevokeApiKey(string KeyId, string Reason);

/// <summary>
/// <c>core.GrantCapability</c>: target_ref <c>actor-&lt;holder&gt;:capability-&lt;new capability id&gt;</c> (derived). The caller needs a
/// capability that covers this command on that target, and the granted scope, bounds and safety classes must be within that
/// capability's whole chain (no escalation); the grant is made under it and dies with it (constitution A4).
/// </summary>
/// <param name="HolderActorId">Who receives it.</param>
/// <param name="Scope">What it allows.</param>
/// <param name="NotBefore">Start of validity (UTC); default now, never before the granting chain's.</param>
/// <param name="ExpiresAt">End of validity (UTC); default the granting chain's; never after it.</param>
public sealed record GrantCapability(string HolderActorId, CapabilityScope Scope, DateTimeOffset? NotBefore = null, DateTimeOffset? ExpiresAt = null);

/// <summary>
/// <c>core.DelegateCapability</c>: target_ref <c>actor-&lt;holder&gt;:capability-&lt;new capability id&gt;</c> (derived). The caller must hold
/// the parent, which must be valid now; it authorizes the delegation, so no other capability is needed. The scope and bounds
/// must be within the parent's chain (inherited when omitted); the delegation is valid only while the parent is (constitution A4).
/// </summary>
/// <param name="ParentCapabilityId">The capability being delegated from.</param>
/// <param name="HolderActorId">Who receives it.</param>
/// <param name="Scope">What it allows: a narrowing of the parent's.</param>
/// <param name="NotBefore">Start of validity (UTC); default now, never before the parent's.</param>
/// <param name="ExpiresAt">End of validity (UTC); default the parent's; never after it.</param>
public sealed record DelegateCapability(string ParentCapabilityId, string HolderActorId, CapabilityScope Scope, DateTimeOffset? NotBefore = null, DateTimeOffset? ExpiresAt = null);

/// <summary>
/// <c>core.ChangeCapabilityScope</c>: target_ref <c>actor-&lt;holder&gt;:capability-&lt;id&gt;</c> (the holder comes from the log). The new
/// scope must stay within the capability's own parent chain and within the chain of the capability that authorizes the change.
/// </summary>
/// <param name="CapabilityId">The capability.</param>
/// <param name="Scope">The new scope.</param>
public sealed record ChangeCapabilityScope(string CapabilityId, CapabilityScope Scope);

/// <summary><c>core.RevokeCapability</c>: target_ref <c>actor-&lt;holder&gt;:capability-&lt;id&gt;</c>. Everything granted or delegated under it dies with it.</summary>
/// <param name="CapabilityId">The capability.</param>
/// <param name="Reason">Why.</param>
public sealed record RevokeCapability(string CapabilityId, string Reason);

/// <summary>Registers Core's own commands and events, each command with the binding of its target to the object it acts on.</summary>
internal static class CoreCommands
{
    /// <summary>Authorized by the parent capability it names, not by a capability covering its type.</summary>
    public const string DelegateCommandType = "core.DelegateCapability";

    /// <summary>Commands whose accepted decision confers scope: the capability that authorizes them must cover what they confer.</summary>
    public static readonly IReadOnlySet<string> ConferringCommandTypes = new HashSet<string>(StringComparer.Ordinal) { "core.GrantCapability", DelegateCommandType, "core.ChangeCapabilityScope" };

    public static void Register(IPackBuilder builder)
    {
        builder
            .AddEvent<ActorRegistered>(CoreEventTypes.ActorRegistered)
            .AddEvent<ActorDisabled>(CoreEventTypes.ActorDisabled)
            .AddEvent<ActorEnabled>(CoreEventTypes.ActorEnabled)
            .AddEvent<ApiKeyIssued>(CoreEventTypes.ApiKeyIssued)
            .AddEvent<ApiKeyRevoked>(CoreEventTypes.ApiKeyRevoked)
            .AddEvent<RecoveryPerformed>(CoreEventTypes.RecoveryPerformed)
            .AddEvent<CapabilityGranted>(CoreEventTypes.CapabilityGranted)
            .AddEvent<CapabilityScopeChanged>(CoreEventTypes.CapabilityScopeChanged)
            .AddEvent<CapabilityRevoked>(CoreEventTypes.CapabilityRevoked)
            .AddEvent<CapabilityExpired>(CoreEventTypes.CapabilityExpired)
            .AddEvent<SecretHandleIssued>(CoreEventTypes.SecretHandleIssued)
            .AddEvent<Safety.SafetyDecisionRecorded>(Safety.SafetyEventTypes.SafetyDecisionRecorded)
            .AddCommand("core.RegisterActor", SafetyClass.WriteInternal, CoreTarget<RegisterActor>.Of("actor-<actor_id>", (c, _) => TargetBinding.Bound(CoreRefs.Actor(c.ActorId))))
            .AddCommand("core.DisableActor", SafetyClass.WriteInternal, CoreTarget<DisableActor>.Of("actor-<actor_id>", (c, _) => TargetBinding.Bound(CoreRefs.Actor(c.ActorId))))
            .AddCommand("core.EnableActor", SafetyClass.WriteInternal, CoreTarget<EnableActor>.Of("actor-<actor_id>", (c, _) => TargetBinding.Bound(CoreRefs.Actor(c.ActorId))))
            .AddCommand("core.IssueApiKey", SafetyClass.WriteInternal, CoreTarget<IssueApiKey>.Of("actor-<actor_id>:apikey-<key_id>", (c, _) => TargetBinding.Bound(CoreRefs.ApiKey(c.ActorId, c.KeyId))))
            .AddCommand("core.RevokeApiKey", SafetyClass.WriteInternal, CoreTarget<RevokeApiKey>.Of("actor-<owner>:apikey-<key_id>", (c, t) =>
                t.Core.ApiKeyOwner(c.KeyId) is { } owner ? TargetBinding.Bound(CoreRefs.ApiKey(owner, c.KeyId)) : TargetBinding.Refused($"API key '{c.KeyId}' does not exist", ReasonCodes.UnknownKey)))
            .AddCommand("core.GrantCapability", SafetyClass.WriteInternal, CoreTarget<GrantCapability>.Of("actor-<holder>:capability-<new id>", (c, t) => TargetBinding.Bound(CoreRefs.Capability(c.HolderActorId, NewCapabilityId(t.CommandId)))))
            .AddCommand(DelegateCommandType, SafetyClass.WriteInternal, CoreTarget<DelegateCapability>.Of("actor-<holder>:capability-<new id>", (c, t) => TargetBinding.Bound(CoreRefs.Capability(c.HolderActorId, NewCapabilityId(t.CommandId)))))
            .AddCommand("core.ChangeCapabilityScope", SafetyClass.WriteInternal, CoreTarget<ChangeCapabilityScope>.Of("actor-<holder>:capability-<id>", (c, t) => CapabilityRef(t.Core, c.CapabilityId)))
            .AddCommand("core.RevokeCapability", SafetyClass.WriteInternal, CoreTarget<RevokeCapability>.Of("actor-<holder>:capability-<id>", (c, t) => CapabilityRef(t.Core, c.CapabilityId)));
    }

    /// <summary>The id of the capability a grant or delegation creates: derived from its command, so a replay names the same one.</summary>
    public static string NewCapabilityId(string commandId) => DeterministicIds.Derive("capability", commandId);

    private static TargetBinding CapabilityRef(CoreState core, string capabilityId) =>
        core.CapabilityHolder(capabilityId) is { } holder
            ? TargetBinding.Bound(CoreRefs.Capability(holder, capabilityId))
            : TargetBinding.Refused($"capability {CapabilityEvaluator.Short(capabilityId)} does not exist", ReasonCodes.UnknownCapability);
}

internal sealed partial class RegisterActorHandler : ICommandHandler<RegisterActor>, ICommandHandler<DisableActor>, ICommandHandler<EnableActor>
{
    public ValueTask<Decision> DecideAsync(CommandContext<RegisterActor> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        if (!ActorIdPattern().IsMatch(c.ActorId))
        {
            return Reject("invalid_actor_id", "actor_id must match [a-z0-9][a-z0-9._-]{0,63}.");
        }

        if (context.Core.Actors.ContainsKey(c.ActorId))
        {
            return Reject("actor_exists", $"actor '{c.ActorId}' is already registered.");
        }

        var tenant = c.TenantId ?? context.Scope.TenantId;
        if (!ActorIdPattern().IsMatch(tenant))
        {
            return Reject("invalid_tenant", "tenant_id must match [a-z0-9][a-z0-9._-]{0,63}.");
        }

        if (c.DisplayName is { Length: > 200 })
        {
            return Reject("invalid_display_name", "display_name is at most 200 characters.");
        }

        var registered = new ActorRegistered(c.ActorId, c.Kind, tenant, string.IsNullOrWhiteSpace(c.DisplayName) ? c.ActorId : c.DisplayName);
        return ValueTask.FromResult(Decision.Accept(registered).WithPreview(null, registered));
    }

    public ValueTask<Decision> DecideAsync(CommandContext<DisableActor> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        var problem = context.Core.ActorInvalidReason(c.ActorId, DateTimeOffset.MaxValue);
        if (!context.Core.Actors.ContainsKey(c.ActorId))
        {
            return Reject(ReasonCodes.UnknownActor, $"actor '{c.ActorId}' is not registered.");
        }

        if (problem is not null)
        {
            return Reject("already_disabled", problem + ".");
        }

        if (c.ActorId == context.Actor.Id)
        {
            return Reject("cannot_disable_self", "an actor cannot disable itself; ask another admin, or use 'admin recover' on the database's machine.");
        }

        var reason = string.IsNullOrWhiteSpace(c.Reason) ? "disabled" : c.Reason.Trim();
        return ValueTask.FromResult(Decision.Accept(new ActorDisabled(c.ActorId, reason))
            .WithPreview(new { actor_id = c.ActorId, status = "enabled" }, new { actor_id = c.ActorId, status = "disabled", reason }));
    }

    public ValueTask<Decision> DecideAsync(CommandContext<EnableActor> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        if (!context.Core.Actors.ContainsKey(c.ActorId))
        {
            return Reject(ReasonCodes.UnknownActor, $"actor '{c.ActorId}' is not registered.");
        }

        if (context.Core.ActorInvalidReason(c.ActorId, DateTimeOffset.MaxValue) is null)
        {
            return Reject("already_enabled", $"actor '{c.ActorId}' is not disabled.");
        }

        return ValueTask.FromResult(Decision.Accept(new ActorEnabled(c.ActorId))
            .WithPreview(new { actor_id = c.ActorId, status = "disabled" }, new { actor_id = c.ActorId, status = "enabled" }));
    }

    internal static ValueTask<Decision> Reject(string code, string reason) => ValueTask.FromResult(Decision.Reject(code, reason));

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    internal static partial Regex ActorIdPattern();
}

internal sealed class IssueApiKeyHandler : ICommandHandler<IssueApiKey>, ICommandHandler<RevokeApiKey>
{
    public ValueTask<Decision> DecideAsync(CommandContext<IssueApiKey> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        if (!context.Core.Actors.ContainsKey(c.ActorId))
        {
            return RegisterActorHandler.Reject(ReasonCodes.UnknownActor, $"actor '{c.ActorId}' is not registered.");
        }

        if (!ContentHash.IsWellFormed(c.SecretSha256) || !RegisterActorHandler.ActorIdPattern().IsMatch(c.KeyId))
        {
            return RegisterActorHandler.Reject("invalid_key", "key_id must match [a-z0-9][a-z0-9._-]{0,63} and secret_sha256 must be 64 lowercase hex characters.");
        }

        if (context.Core.ApiKeys.ContainsKey(c.KeyId))
        {
            return RegisterActorHandler.Reject("key_exists", $"key '{c.KeyId}' already exists.");
        }

        var issued = new ApiKeyIssued(c.KeyId, c.ActorId, c.SecretSha256);
        return ValueTask.FromResult(Decision.Accept(issued).WithPreview(null, new { key_id = c.KeyId, actor_id = c.ActorId, status = "active" }));
    }

    public ValueTask<Decision> DecideAsync(CommandContext<RevokeApiKey> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        if (!context.Core.ApiKeys.TryGetValue(c.KeyId, out var key))
        {
            return RegisterActorHandler.Reject(ReasonCodes.UnknownKey, $"API key '{c.KeyId}' does not exist.");
        }

        if (context.Core.RevokedApiKeys.ContainsKey(c.KeyId))
        {
            return RegisterActorHandler.Reject("already_revoked", $"API key '{c.KeyId}' is already revoked.");
        }

        var reason = string.IsNullOrWhiteSpace(c.Reason) ? "revoked" : c.Reason.Trim();
        return ValueTask.FromResult(Decision.Accept(new ApiKeyRevoked(c.KeyId, key.ActorId, reason))
            .WithPreview(new { key_id = c.KeyId, actor_id = key.ActorId, status = "active" }, new { key_id = c.KeyId, actor_id = key.ActorId, status = "revoked", reason }, Reversibility.Irreversible));
    }
}

internal sealed class GrantCapabilityHandler : ICommandHandler<GrantCapability>, ICommandHandler<DelegateCapability>
{
    public ValueTask<Decision> DecideAsync(CommandContext<GrantCapability> context, CancellationToken cancellationToken)
    {
        var c = context.Command;

        // Made under the capability that authorized it (the gateway checked it may confer this scope), and dies with it.
        var under = context.Capability?.CapabilityId
            ?? throw new System.Diagnostics.UnreachableException("core.GrantCapability was decided without an authorizing capability: the gateway authorizes every command first.");
        return Decide(context, c.HolderActorId, c.Scope, c.NotBefore, c.ExpiresAt, under);
    }

    public ValueTask<Decision> DecideAsync(CommandContext<DelegateCapability> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        return Decide(context, c.HolderActorId, c.Scope, c.NotBefore, c.ExpiresAt, c.ParentCapabilityId);
    }

    private static ValueTask<Decision> Decide<T>(CommandContext<T> context, string holder, CapabilityScope scope, DateTimeOffset? notBefore, DateTimeOffset? expiresAt, string parentId)
        where T : class
    {
        var core = context.Core;
        if (!core.Actors.ContainsKey(holder))
        {
            return Reject(ReasonCodes.UnknownActor, $"holder '{holder}' is not registered.");
        }

        var scopeError = ValidateScope(scope);
        if (scopeError is not null)
        {
            return Reject("invalid_scope", scopeError);
        }

        var (start, end, problem) = CapabilityEvaluator.Confer(core, parentId, scope, notBefore, expiresAt, context.Now);
        if (problem is not null)
        {
            return Reject(ReasonCodes.Escalation, problem + ".");
        }

        if (end is { } until && until <= start)
        {
            return Reject("invalid_bounds", "expires_at must be after not_before.");
        }

        var capabilityId = CoreCommands.NewCapabilityId(context.CommandId);
        var granted = new CapabilityGranted(capabilityId, holder, scope, start, end, parentId, context.Actor.Id);
        return ValueTask.FromResult(Decision.Accept(granted).WithPreview(null, granted));
    }

    internal static string? ValidateScope(CapabilityScope? scope)
    {
        if (scope is null)
        {
            return "scope is required.";
        }

        return ScopePatterns.Validate(scope.CommandTypes, "command_types")
            ?? ScopePatterns.Validate(scope.Targets, "targets")
            ?? (scope.SafetyClasses is null || scope.SafetyClasses.Count == 0 ? "safety_classes needs at least one class." : null)
            ?? (scope.Tenants is { Count: > 0 } tenants ? ScopePatterns.Validate(tenants, "tenants") : null)
            ?? (scope.CommandTypes.Count + scope.Targets.Count + (scope.Tenants?.Count ?? 0) > 256 ? "a scope has at most 256 patterns." : null);
    }

    internal static ValueTask<Decision> Reject(string code, string reason) => ValueTask.FromResult(Decision.Reject(code, reason));
}

internal sealed class ChangeCapabilityScopeHandler : ICommandHandler<ChangeCapabilityScope>
{
    public ValueTask<Decision> DecideAsync(CommandContext<ChangeCapabilityScope> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        var current = CapabilityEvaluator.Latest(context.Core, c.CapabilityId);
        if (current is null)
        {
            return GrantCapabilityHandler.Reject(ReasonCodes.UnknownCapability, $"capability {CapabilityEvaluator.Short(c.CapabilityId)} does not exist.");
        }

        var scopeError = GrantCapabilityHandler.ValidateScope(c.Scope);
        if (scopeError is not null)
        {
            return GrantCapabilityHandler.Reject("invalid_scope", scopeError);
        }

        // Within its own chain (a delegation or grant stays within what it was made under); the authorizing chain was checked by the gateway.
        if (current.Grant.ParentCapabilityId is { } parentId
            && CapabilityEvaluator.Confer(context.Core, parentId, c.Scope, null, null, context.Now).Problem is { } problem)
        {
            return GrantCapabilityHandler.Reject(ReasonCodes.Escalation, problem + ".");
        }

        return ValueTask.FromResult(Decision.Accept(new CapabilityScopeChanged(c.CapabilityId, c.Scope))
            .WithPreview(new { capability_id = c.CapabilityId, scope = current.Scope }, new { capability_id = c.CapabilityId, scope = c.Scope }));
    }
}

internal sealed class RevokeCapabilityHandler : ICommandHandler<RevokeCapability>
{
    public ValueTask<Decision> DecideAsync(CommandContext<RevokeCapability> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        if (!context.Core.Capabilities.TryGetValue(c.CapabilityId, out var history))
        {
            return GrantCapabilityHandler.Reject(ReasonCodes.UnknownCapability, $"capability {CapabilityEvaluator.Short(c.CapabilityId)} does not exist.");
        }

        if (history.Any(r => r.Payload is CapabilityRevoked))
        {
            return GrantCapabilityHandler.Reject("already_revoked", $"capability {CapabilityEvaluator.Short(c.CapabilityId)} is already revoked.");
        }

        var reason = string.IsNullOrWhiteSpace(c.Reason) ? "revoked" : c.Reason.Trim();
        return ValueTask.FromResult(Decision.Accept(new CapabilityRevoked(c.CapabilityId, reason))
            .WithPreview(new { capability_id = c.CapabilityId, status = "valid", reason = (string?)null }, new { capability_id = c.CapabilityId, status = "revoked", reason }, Reversibility.Irreversible));
    }
}
