using System.Security.Cryptography;
using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Identity;
using Ops.Core.Packs;

namespace Ops.Core.Consent;

/// <summary>Registers the consent commands and events of Core.</summary>
internal static class ConsentCommands
{
    public static void Register(IPackBuilder builder) => builder
        .AddEvent<SignerKeyRegistered>(ConsentEventTypes.SignerKeyRegistered)
        .AddEvent<SignerKeyRevoked>(ConsentEventTypes.SignerKeyRevoked)
        .AddEvent<PolicyCreated>(ConsentEventTypes.PolicyCreated)
        .AddEvent<PolicyActivated>(ConsentEventTypes.PolicyActivated)
        .AddEvent<PolicyDeprecated>(ConsentEventTypes.PolicyDeprecated)
        .AddEvent<ConsentRecorded>(ConsentEventTypes.ConsentRecorded)
        .AddEvent<MutationCommitted>(ConsentEventTypes.MutationCommitted)
        .AddCommand("core.RegisterSignerKey", SafetyClass.WriteInternal, CoreTarget<RegisterSignerKey>.Of("actor-<actor_id>:signer-key-<key_id>", (c, _) =>
            NewSignerKeyRef(c)))
        .AddCommand("core.RevokeSignerKey", SafetyClass.WriteInternal, CoreTarget<RevokeSignerKey>.Of("actor-<owner>:signer-key-<key_id>", (c, t) => SignerKeyRef(t.Core, c.KeyId)))
        .AddCommand("core.RotateSignerKey", SafetyClass.WriteInternal, CoreTarget<RotateSignerKey>.Of("actor-<owner>:signer-key-<key_id>", (c, t) => SignerKeyRef(t.Core, c.KeyId)))
        .AddCommand("core.CreatePolicy", SafetyClass.WriteInternal, CoreTarget<CreatePolicy>.Of("policy-<name>", (c, _) => TargetBinding.Bound(CoreRefs.Policy(c.Name))))
        .AddCommand("core.ActivatePolicy", SafetyClass.WriteInternal, CoreTarget<ActivatePolicy>.Of("policy-<name>", (c, t) => PolicyRef(t.Core, c.PolicyId)))
        .AddCommand("core.DeprecatePolicy", SafetyClass.WriteInternal, CoreTarget<DeprecatePolicy>.Of("policy-<name>", (c, t) => PolicyRef(t.Core, c.PolicyId)));

    private static TargetBinding SignerKeyRef(CoreState core, string keyId) =>
        core.SignerKeyOwner(keyId) is { } owner
            ? TargetBinding.Bound(CoreRefs.SignerKey(owner, keyId))
            : TargetBinding.Refused($"signing key {keyId} is not registered", ReasonCodes.UnknownKey);

    private static TargetBinding PolicyRef(CoreState core, string policyId) =>
        core.PolicyName(policyId) is { } name
            ? TargetBinding.Bound(CoreRefs.Policy(name))
            : TargetBinding.Refused($"policy {CapabilityEvaluator.Short(policyId)} does not exist", ReasonCodes.UnknownPolicy);

    /// <summary>Parses a base64 SPKI of an ECDSA P-256 key and returns its key id.</summary>
    /// <param name="publicKey">The base64 text.</param>
    /// <param name="what">What the key is, for the message (for example <c>public_key</c>, <c>the admin signing key</c>).</param>
    /// <returns>Its key id.</returns>
    /// <exception cref="OpsException"><see cref="ReasonCodes.InvalidKey"/>: it is not such a key; nothing was changed.</exception>
    public static string ParseKey(string publicKey, string what = "public_key")
    {
        try
        {
            var der = Convert.FromBase64String(publicKey);
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportSubjectPublicKeyInfo(der, out _);
            if (ecdsa.KeySize != 256 || ecdsa.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                throw new OpsException(ReasonCodes.InvalidKey, $"{what} is not usable: the key is not ECDSA P-256. Nothing was changed.");
            }

            return ConsentSigning.KeyId(der);
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException)
        {
            throw new OpsException(ReasonCodes.InvalidKey, $"{what} is not usable: it must be base64 of an ECDSA P-256 SubjectPublicKeyInfo ({ex.Message}). Nothing was changed.", ex);
        }
    }

    /// <summary>The target of <c>core.RegisterSignerKey</c>, or its refusal when the key does not parse.</summary>
    private static TargetBinding NewSignerKeyRef(RegisterSignerKey c)
    {
        try
        {
            return TargetBinding.Bound(CoreRefs.SignerKey(c.ActorId, ParseKey(c.PublicKey)));
        }
        catch (OpsException ex)
        {
            return TargetBinding.Refused(ex.Message, ex.Code);
        }
    }
}

internal sealed class RegisterSignerKeyHandler : ICommandHandler<RegisterSignerKey>
{
    public ValueTask<Decision> DecideAsync(CommandContext<RegisterSignerKey> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        // A key that does not parse throws invalid_key, which the decide stage turns into the rejection.
        var keyId = ConsentCommands.ParseKey(c.PublicKey);

        if (!context.Core.Actors.ContainsKey(c.ActorId))
        {
            return ValueTask.FromResult(Decision.Reject(ReasonCodes.UnknownActor, $"actor '{c.ActorId}' is not registered."));
        }

        if (context.Core.SignerKeys.ContainsKey(keyId))
        {
            return ValueTask.FromResult(Decision.Reject("key_exists", $"key {keyId} is already registered; a revoked key cannot be registered again."));
        }

        var registered = new SignerKeyRegistered(keyId, c.ActorId, c.PublicKey);
        return ValueTask.FromResult(Decision.Accept(registered).WithPreview(null, registered));
    }
}

internal sealed class RevokeSignerKeyHandler : ICommandHandler<RevokeSignerKey>, ICommandHandler<RotateSignerKey>
{
    public ValueTask<Decision> DecideAsync(CommandContext<RotateSignerKey> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        var (key, revoked) = context.Core.SignerKeyAt(c.KeyId, DateTimeOffset.MaxValue);
        if (key is null)
        {
            return ValueTask.FromResult(Decision.Reject(ReasonCodes.UnknownKey, $"key {c.KeyId} is not registered."));
        }

        if (revoked is not null)
        {
            return ValueTask.FromResult(Decision.Reject("already_revoked", $"key {c.KeyId} is already revoked; register a new key instead."));
        }

        // A key that does not parse throws invalid_key, which the decide stage turns into the rejection.
        var newKeyId = ConsentCommands.ParseKey(c.NewPublicKey, "new_public_key");

        if (context.Core.SignerKeys.ContainsKey(newKeyId))
        {
            return ValueTask.FromResult(Decision.Reject("key_exists", $"key {newKeyId} is already registered; a key is registered once."));
        }

        // Both on the old key's stream, in one commit: there is never a moment with neither key, or both, active.
        var reason = string.IsNullOrWhiteSpace(c.Reason) ? "rotated to " + newKeyId : c.Reason.Trim();
        return ValueTask.FromResult(Decision.Accept(new SignerKeyRegistered(newKeyId, key.ActorId, c.NewPublicKey), new SignerKeyRevoked(c.KeyId, reason))
            .WithPreview(
                new { active_key = c.KeyId, actor_id = key.ActorId },
                new { active_key = newKeyId, actor_id = key.ActorId, revoked_key = c.KeyId, reason },
                Reversibility.Irreversible));
    }

    public ValueTask<Decision> DecideAsync(CommandContext<RevokeSignerKey> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        var (key, revoked) = context.Core.SignerKeyAt(c.KeyId, DateTimeOffset.MaxValue);
        if (key is null)
        {
            return ValueTask.FromResult(Decision.Reject(ReasonCodes.UnknownKey, $"key {c.KeyId} is not registered."));
        }

        if (revoked is not null)
        {
            return ValueTask.FromResult(Decision.Reject("already_revoked", $"key {c.KeyId} is already revoked."));
        }

        var reason = string.IsNullOrWhiteSpace(c.Reason) ? "revoked" : c.Reason;
        return ValueTask.FromResult(Decision.Accept(new SignerKeyRevoked(c.KeyId, reason))
            .WithPreview(new { key_id = c.KeyId, status = "active", reason = (string?)null }, new { key_id = c.KeyId, status = "revoked", reason }, Reversibility.Irreversible));
    }
}

internal sealed class PolicyHandlers : ICommandHandler<CreatePolicy>, ICommandHandler<ActivatePolicy>, ICommandHandler<DeprecatePolicy>
{
    public ValueTask<Decision> DecideAsync(CommandContext<CreatePolicy> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        if (!RegisterActorHandler.ActorIdPattern().IsMatch(c.Name))
        {
            return Reject("invalid_policy", "name must match [a-z0-9][a-z0-9._-]{0,63}.");
        }

        var scopeError = ScopePatterns.Validate(c.Scope?.CommandTypes, "command_types") ?? ScopePatterns.Validate(c.Scope?.Targets, "targets") ?? ScopePatterns.Validate(c.Scope?.Actors, "actors");
        if (scopeError is not null)
        {
            return Reject("invalid_scope", scopeError);
        }

        if (c.Scope!.CommandTypes.Any(t => ScopePatterns.IsCoveredBy("core.X", t) || t.StartsWith("core.", StringComparison.Ordinal)))
        {
            return Reject("policy_covers_core", "a policy may not approve core.* commands: kernel administration needs a signer's consent.");
        }

        var policyId = DeterministicIds.Derive("policy", context.Scope.TenantId, c.Name);
        var version = context.Core.PolicyVersionsAt(policyId, DateTimeOffset.MaxValue).Count + 1;
        var contentHash = ContentHash.OfValue(new { name = c.Name, scope = c.Scope, version });
        var created = new PolicyCreated(policyId, version, c.Name, c.Scope, contentHash);
        return ValueTask.FromResult(Decision.Accept(created).WithPreview(null, new PolicyState(policyId, c.Name, version, c.Scope, "draft")));
    }

    public ValueTask<Decision> DecideAsync(CommandContext<ActivatePolicy> context, CancellationToken cancellationToken) =>
        Transition(context.Core, context.Command.PolicyId, context.Command.Version, "draft", "active", new PolicyActivated(context.Command.PolicyId, context.Command.Version));

    public ValueTask<Decision> DecideAsync(CommandContext<DeprecatePolicy> context, CancellationToken cancellationToken) =>
        Transition(context.Core, context.Command.PolicyId, context.Command.Version, "active", "deprecated", new PolicyDeprecated(context.Command.PolicyId, context.Command.Version));

    private static ValueTask<Decision> Transition(CoreState core, string policyId, int version, string from, string to, object e)
    {
        var current = core.PolicyVersionsAt(policyId, DateTimeOffset.MaxValue).FirstOrDefault(v => v.Version == version);
        if (current is null)
        {
            return Reject(ReasonCodes.UnknownPolicy, $"policy {CapabilityEvaluator.Short(policyId)} has no version {version}.");
        }

        if (current.Status != from)
        {
            return Reject("invalid_transition", $"policy {current.Name} v{version} is {current.Status}; only a {from} version can become {to}.");
        }

        return ValueTask.FromResult(Decision.Accept(e).WithPreview(current, current with { Status = to }));
    }

    private static ValueTask<Decision> Reject(string code, string reason) => ValueTask.FromResult(Decision.Reject(code, reason));
}
