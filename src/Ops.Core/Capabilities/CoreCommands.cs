using System.Text.RegularExpressions;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Packs;

namespace Ops.Core.Capabilities;

/// <summary><c>core.RegisterActor</c>: target_ref <c>actor-&lt;actor_id&gt;</c>.</summary>
/// <param name="ActorId">New actor id, <c>[a-z0-9][a-z0-9._-]{0,63}</c>.</param>
/// <param name="Kind">Human, service or agent.</param>
/// <param name="DisplayName">Name shown to people.</param>
/// <param name="TenantId">Tenant; defaults to the caller's.</param>
public sealed record RegisterActor(string ActorId, ActorKind Kind, string DisplayName, string? TenantId = null);

/// <summary><c>core.IssueApiKey</c>: target_ref <c>apikey-&lt;key_id&gt;</c>. The caller hashes the secret; the kernel never sees it.</summary>
/// <param name="KeyId">Public key id.</param>
/// <param name="ActorId">Actor the key authenticates.</param>
/// <param name="SecretSha256">SHA-256 of the secret, 64 hex.</param>
public sealed record IssueApiKey(string KeyId, string ActorId, string SecretSha256);

/// <summary>
/// <c>core.GrantCapability</c>: a root grant, target_ref <c>capability</c>. The caller needs a capability
/// that covers <c>core.GrantCapability</c> (constitution A4).
/// </summary>
/// <param name="HolderActorId">Who receives it.</param>
/// <param name="Scope">What it allows.</param>
/// <param name="NotBefore">Start of validity (UTC); default now.</param>
/// <param name="ExpiresAt">End of validity (UTC); default none.</param>
public sealed record GrantCapability(string HolderActorId, CapabilityScope Scope, DateTimeOffset? NotBefore = null, DateTimeOffset? ExpiresAt = null);

/// <summary>
/// <c>core.DelegateCapability</c>: target_ref <c>capability</c>. The caller must hold the parent, which
/// must be valid now; it authorizes the delegation, so no other capability is needed. The scope must be
/// within the parent's and the bounds within the parent's (inherited when omitted); the delegation is
/// valid only while the parent is (constitution A4).
/// </summary>
/// <param name="ParentCapabilityId">The capability being delegated from.</param>
/// <param name="HolderActorId">Who receives it.</param>
/// <param name="Scope">What it allows: a narrowing of the parent's.</param>
/// <param name="NotBefore">Start of validity (UTC); default now, never before the parent's.</param>
/// <param name="ExpiresAt">End of validity (UTC); default the parent's; never after it.</param>
public sealed record DelegateCapability(string ParentCapabilityId, string HolderActorId, CapabilityScope Scope, DateTimeOffset? NotBefore = null, DateTimeOffset? ExpiresAt = null);

/// <summary><c>core.ChangeCapabilityScope</c>: target_ref <c>capability-&lt;id&gt;</c>.</summary>
/// <param name="CapabilityId">The capability.</param>
/// <param name="Scope">The new scope; a delegation's must stay within its parent's.</param>
public sealed record ChangeCapabilityScope(string CapabilityId, CapabilityScope Scope);

/// <summary><c>core.RevokeCapability</c>: target_ref <c>capability-&lt;id&gt;</c>. Delegations under it die with it.</summary>
/// <param name="CapabilityId">The capability.</param>
/// <param name="Reason">Why.</param>
public sealed record RevokeCapability(string CapabilityId, string Reason);

/// <summary>Registers Core's own commands and events.</summary>
internal static class CoreCommands
{
    /// <summary>Authorized by the parent capability it names, not by a capability covering its type.</summary>
    public const string DelegateCommandType = "core.DelegateCapability";

    /// <summary>The gateway's capability decision for a delegation: the parent, held by the caller and valid now.</summary>
    public static CapabilityDecision AuthorizeDelegation(CoreState core, DelegateCapability command, string actorId, DateTimeOffset now)
    {
        var parent = CapabilityEvaluator.StateAt(core, command.ParentCapabilityId, now);
        if (parent is null || parent.Grant.HolderActorId != actorId)
        {
            return CapabilityDecision.Deny($"'{actorId}' does not hold capability {CapabilityEvaluator.Short(command.ParentCapabilityId)}; only its holder can delegate from it");
        }

        var invalid = CapabilityEvaluator.ChainInvalidReason(core, parent.CapabilityId, now);
        return invalid is null
            ? CapabilityDecision.Allow(parent.CapabilityId, parent.StateRef)
            : CapabilityDecision.Deny($"capability {CapabilityEvaluator.Short(parent.CapabilityId)} cannot be delegated now: {invalid}");
    }

    public static void Register(IPackBuilder builder)
    {
        builder
            .AddEvent<ActorRegistered>(CoreEventTypes.ActorRegistered)
            .AddEvent<ApiKeyIssued>(CoreEventTypes.ApiKeyIssued)
            .AddEvent<CapabilityGranted>(CoreEventTypes.CapabilityGranted)
            .AddEvent<CapabilityScopeChanged>(CoreEventTypes.CapabilityScopeChanged)
            .AddEvent<CapabilityRevoked>(CoreEventTypes.CapabilityRevoked)
            .AddEvent<CapabilityExpired>(CoreEventTypes.CapabilityExpired)
            .AddEvent<SecretHandleIssued>(CoreEventTypes.SecretHandleIssued)
            .AddEvent<Safety.SafetyDecisionRecorded>(Safety.SafetyEventTypes.SafetyDecisionRecorded)
            .AddCommand<RegisterActor>("core.RegisterActor", SafetyClass.WriteInternal)
            .AddCommand<IssueApiKey>("core.IssueApiKey", SafetyClass.WriteInternal)
            .AddCommand<GrantCapability>("core.GrantCapability", SafetyClass.WriteInternal)
            .AddCommand<DelegateCapability>(DelegateCommandType, SafetyClass.WriteInternal)
            .AddCommand<ChangeCapabilityScope>("core.ChangeCapabilityScope", SafetyClass.WriteInternal)
            .AddCommand<RevokeCapability>("core.RevokeCapability", SafetyClass.WriteInternal);
    }
}

internal sealed partial class RegisterActorHandler : ICommandHandler<RegisterActor>
{
    public ValueTask<Decision> DecideAsync(CommandContext<RegisterActor> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        if (!ActorIdPattern().IsMatch(c.ActorId))
        {
            return ValueTask.FromResult(Decision.Reject("invalid_actor_id", "actor_id must match [a-z0-9][a-z0-9._-]{0,63}."));
        }

        if (context.Envelope.TargetRef != "actor-" + c.ActorId)
        {
            return ValueTask.FromResult(Decision.Reject("invalid_target", $"target_ref must be 'actor-{c.ActorId}'."));
        }

        if (context.Core.Actors.ContainsKey(c.ActorId))
        {
            return ValueTask.FromResult(Decision.Reject("actor_exists", $"actor '{c.ActorId}' is already registered."));
        }

        var tenant = c.TenantId ?? context.Scope.TenantId;
        if (!ActorIdPattern().IsMatch(tenant))
        {
            return ValueTask.FromResult(Decision.Reject("invalid_tenant", "tenant_id must match [a-z0-9][a-z0-9._-]{0,63}."));
        }

        var registered = new ActorRegistered(c.ActorId, c.Kind, tenant, string.IsNullOrWhiteSpace(c.DisplayName) ? c.ActorId : c.DisplayName);
        return ValueTask.FromResult(Decision.Accept(registered).WithPreview(null, registered));
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    internal static partial Regex ActorIdPattern();
}

internal sealed class IssueApiKeyHandler : ICommandHandler<IssueApiKey>
{
    public ValueTask<Decision> DecideAsync(CommandContext<IssueApiKey> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        if (!context.Core.Actors.ContainsKey(c.ActorId))
        {
            return ValueTask.FromResult(Decision.Reject("unknown_actor", $"actor '{c.ActorId}' is not registered."));
        }

        if (!ContentHash.IsWellFormed(c.SecretSha256) || !RegisterActorHandler.ActorIdPattern().IsMatch(c.KeyId))
        {
            return ValueTask.FromResult(Decision.Reject("invalid_key", "key_id must match [a-z0-9][a-z0-9._-]{0,63} and secret_sha256 must be 64 lowercase hex characters."));
        }

        if (context.Core.ApiKeys.ContainsKey(c.KeyId))
        {
            return ValueTask.FromResult(Decision.Reject("key_exists", $"key '{c.KeyId}' already exists."));
        }

        var issued = new ApiKeyIssued(c.KeyId, c.ActorId, c.SecretSha256);
        return ValueTask.FromResult(Decision.AcceptOn("apikey-" + c.KeyId, issued).WithPreview(null, issued));
    }
}

internal sealed class GrantCapabilityHandler : ICommandHandler<GrantCapability>, ICommandHandler<DelegateCapability>
{
    public ValueTask<Decision> DecideAsync(CommandContext<GrantCapability> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        return Decide(context.Core, context.CommandId, context.Actor.Id, context.Now, c.HolderActorId, c.Scope, c.NotBefore, c.ExpiresAt, null);
    }

    public ValueTask<Decision> DecideAsync(CommandContext<DelegateCapability> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        return Decide(context.Core, context.CommandId, context.Actor.Id, context.Now, c.HolderActorId, c.Scope, c.NotBefore, c.ExpiresAt, c.ParentCapabilityId);
    }

    private static ValueTask<Decision> Decide(CoreState core, string commandId, string actorId, DateTimeOffset now, string holder, CapabilityScope scope, DateTimeOffset? requestedNotBefore, DateTimeOffset? expiresAt, string? parentId)
    {
        if (!core.Actors.ContainsKey(holder))
        {
            return Reject("unknown_actor", $"holder '{holder}' is not registered.");
        }

        var scopeError = ValidateScope(scope);
        if (scopeError is not null)
        {
            return Reject("invalid_scope", scopeError);
        }

        var notBefore = requestedNotBefore ?? now;
        if (parentId is not null)
        {
            // The gateway already checked that the caller holds a valid parent (CoreCommands.AuthorizeDelegation).
            var parent = CapabilityEvaluator.Latest(core, parentId)!;
            if (!ScopePatterns.AllCovered(scope.CommandTypes, parent.Scope.CommandTypes)
                || !ScopePatterns.AllCovered(scope.Targets, parent.Scope.Targets)
                || !scope.SafetyClasses.All(parent.Scope.SafetyClasses.Contains))
            {
                return Reject("delegation_widens_scope", "a delegation may only narrow its parent's scope: every command type, target and safety class must be within the parent's.");
            }

            if (notBefore < parent.Grant.NotBefore)
            {
                notBefore = parent.Grant.NotBefore;
            }

            if (parent.Grant.ExpiresAt is { } parentExpiry)
            {
                if (expiresAt is { } own && own > parentExpiry)
                {
                    return Reject("delegation_widens_bounds", $"expires_at {OpsJson.FormatInstant(own)} is after the parent's {OpsJson.FormatInstant(parentExpiry)}; a delegation inherits its parent's bounds.");
                }

                expiresAt ??= parentExpiry;
            }
        }

        if (expiresAt is { } end && end <= notBefore)
        {
            return Reject("invalid_bounds", "expires_at must be after not_before.");
        }

        var capabilityId = DeterministicIds.Derive("capability", commandId);
        var granted = new CapabilityGranted(capabilityId, holder, scope, notBefore, expiresAt, parentId, actorId);
        return ValueTask.FromResult(Decision.AcceptOn("capability-" + capabilityId, granted).WithPreview(null, granted));
    }

    internal static string? ValidateScope(CapabilityScope? scope)
    {
        if (scope is null)
        {
            return "scope is required.";
        }

        return ScopePatterns.Validate(scope.CommandTypes, "command_types")
            ?? ScopePatterns.Validate(scope.Targets, "targets")
            ?? (scope.SafetyClasses is null || scope.SafetyClasses.Count == 0 ? "safety_classes needs at least one class." : null);
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
            return GrantCapabilityHandler.Reject("unknown_capability", $"capability {CapabilityEvaluator.Short(c.CapabilityId)} does not exist.");
        }

        var scopeError = GrantCapabilityHandler.ValidateScope(c.Scope);
        if (scopeError is not null)
        {
            return GrantCapabilityHandler.Reject("invalid_scope", scopeError);
        }

        if (current.Grant.ParentCapabilityId is { } parentId && CapabilityEvaluator.Latest(context.Core, parentId) is { } parent
            && (!ScopePatterns.AllCovered(c.Scope.CommandTypes, parent.Scope.CommandTypes) || !ScopePatterns.AllCovered(c.Scope.Targets, parent.Scope.Targets) || !c.Scope.SafetyClasses.All(parent.Scope.SafetyClasses.Contains)))
        {
            return GrantCapabilityHandler.Reject("delegation_widens_scope", "a delegation's scope must stay within its parent's.");
        }

        return ValueTask.FromResult(Decision.AcceptOn("capability-" + c.CapabilityId, new CapabilityScopeChanged(c.CapabilityId, c.Scope))
            .WithPreview(new { capability_id = c.CapabilityId, scope = current.Scope }, new { capability_id = c.CapabilityId, scope = c.Scope }));
    }
}

internal sealed class RevokeCapabilityHandler : ICommandHandler<RevokeCapability>
{
    public ValueTask<Decision> DecideAsync(CommandContext<RevokeCapability> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        var current = CapabilityEvaluator.Latest(context.Core, c.CapabilityId);
        if (current is null)
        {
            return GrantCapabilityHandler.Reject("unknown_capability", $"capability {CapabilityEvaluator.Short(c.CapabilityId)} does not exist.");
        }

        if (current.InvalidReason is not null && current.InvalidReason.Contains("revoked", StringComparison.Ordinal))
        {
            return GrantCapabilityHandler.Reject("already_revoked", $"capability {CapabilityEvaluator.Short(c.CapabilityId)} is already revoked.");
        }

        var reason = string.IsNullOrWhiteSpace(c.Reason) ? "revoked" : c.Reason;
        return ValueTask.FromResult(Decision.AcceptOn("capability-" + c.CapabilityId, new CapabilityRevoked(c.CapabilityId, reason))
            .WithPreview(new { capability_id = c.CapabilityId, status = "valid", reason = (string?)null }, new { capability_id = c.CapabilityId, status = "revoked", reason }, Reversibility.Irreversible));
    }
}
