using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ops.Core.Capabilities;
using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Log;
using Ops.Core.Storage;

namespace Ops.Core.Hosting;

/// <summary>
/// <c>init</c>: the one write that needs no capability and no consent, because neither can exist yet. It
/// registers the first admin actor, grants it the root capability, issues its API key and registers its
/// consent signing key, in one transaction, and only while the log has no actor.
/// </summary>
[Authority(AuthorityClass.Bootstrap, "events")]
internal static class Bootstrap
{
    public const string BootstrapActorId = "bootstrap";

    public static async Task<BootstrapResult> InitializeAsync(OpsKernel kernel, string adminActorId, string tenantId, string signerPublicKey, CancellationToken cancellationToken)
    {
        var signerKeyId = ConsentCommands.ParseKey(signerPublicKey, "the admin signing key");
        var key = ApiKeys.Generate();
        var now = kernel.Time.GetUtcNow();
        var capabilityId = DeterministicIds.Derive("capability", "root", adminActorId, OpsJson.FormatInstant(now));
        var bootstrapActor = new ActorRef(BootstrapActorId, ActorKind.Service);
        var scope = new IdentityScope(tenantId, kernel.Options.Mode, adminActorId, "cli");
        var runId = DeterministicIds.Derive("init", adminActorId, OpsJson.FormatInstant(now));
        (string Stream, object Payload, string Type)[] genesis =
        [
            (CoreRefs.Stream(CoreRefs.Actor(adminActorId)), new ActorRegistered(adminActorId, ActorKind.Human, tenantId, adminActorId), CoreEventTypes.ActorRegistered),
            (CoreRefs.Stream(CoreRefs.Capability(adminActorId, capabilityId)), new CapabilityGranted(capabilityId, adminActorId, CapabilityScope.All, now, null, null, BootstrapActorId), CoreEventTypes.CapabilityGranted),
            (CoreRefs.Stream(CoreRefs.ApiKey(adminActorId, key.KeyId)), new ApiKeyIssued(key.KeyId, adminActorId, key.SecretSha256), CoreEventTypes.ApiKeyIssued),
            (CoreRefs.Stream(CoreRefs.SignerKey(adminActorId, signerKeyId)), new SignerKeyRegistered(signerKeyId, adminActorId, signerPublicKey), ConsentEventTypes.SignerKeyRegistered),
        ];

        await kernel.Writer.ExecuteAsync(
            async (session, ct) =>
            {
                if (!session.Core.Actors.IsEmpty)
                {
                    throw new Errors.OpsException(Errors.ReasonCodes.AlreadyInitialized, $"This database is already initialized (actors: {string.Join(", ", session.Core.Actors.Keys)}). Nothing was changed; use 'actors add' for more actors.");
                }

                for (var i = 0; i < genesis.Length; i++)
                {
                    var (stream, payload, type) = genesis[i];
                    await session.AppendAsync(stream, 0, [EventDraft.Create(
                        type, 1, EventDraft.Payload(payload), "bootstrap:" + runId, $"{runId}#{i}", i, now,
                        new Causation(runId, runId, CausationType.UserAction), bootstrapActor, null, null, scope, stream)], ct);
                }

                return true;
            },
            cancellationToken);
        return new BootstrapResult(adminActorId, tenantId, capabilityId, key.Token, signerKeyId);
    }
}

/// <summary>
/// Break-glass recovery (<c>admin recover</c>): run by whoever can open the database file, which is bootstrap
/// authority (seed 004) — anyone with that access could rewrite the file anyway, so the kernel makes the act
/// explicit and recorded instead of leaving only a hand edit. For an existing actor it enables the actor,
/// registers a new consent signing key and API key, grants a root capability when it holds no valid one,
/// and appends <c>core.RecoveryPerformed</c>, all in one transaction.
/// </summary>
[Authority(AuthorityClass.Bootstrap, "events")]
internal static class Recovery
{
    public static async Task<BootstrapResult> RecoverAsync(OpsKernel kernel, string actorId, string signerPublicKey, string reason, CancellationToken cancellationToken)
    {
        var signerKeyId = ConsentCommands.ParseKey(signerPublicKey, "the new signing key");
        var key = ApiKeys.Generate();
        var now = kernel.Time.GetUtcNow();
        var runId = DeterministicIds.Derive("recover", actorId, OpsJson.FormatInstant(now));
        var bootstrapActor = new ActorRef(Bootstrap.BootstrapActorId, ActorKind.Service);
        string? capabilityId = null;
        var tenant = await kernel.Writer.ExecuteAsync(
            async (session, ct) =>
            {
                var core = session.Core;
                if (!core.Actors.TryGetValue(actorId, out var actor))
                {
                    throw new Errors.OpsException(Errors.ReasonCodes.UnknownActor, $"Actor '{actorId}' is not registered (actors: {string.Join(", ", core.Actors.Keys.Order(StringComparer.Ordinal))}). Nothing was changed.");
                }

                var holdsRoot = core.CapabilitiesOf(actorId).Any(id => CapabilityEvaluator.Evaluate(core, id, actorId, "core.GrantCapability", "*", SafetyClass.WriteInternal, now).Allowed
                    && CapabilityEvaluator.Confer(core, id, CapabilityScope.All, null, null, now).Problem is null);
                var events = new List<(string Stream, object Payload, string Type)>();
                if (core.ActorInvalidReason(actorId, now) is not null)
                {
                    events.Add((CoreRefs.Stream(CoreRefs.Actor(actorId)), new ActorEnabled(actorId), CoreEventTypes.ActorEnabled));
                }

                if (!holdsRoot)
                {
                    capabilityId = DeterministicIds.Derive("capability", "recover", actorId, OpsJson.FormatInstant(now));
                    events.Add((CoreRefs.Stream(CoreRefs.Capability(actorId, capabilityId)), new CapabilityGranted(capabilityId, actorId, CapabilityScope.All, now, null, null, Bootstrap.BootstrapActorId), CoreEventTypes.CapabilityGranted));
                }

                events.Add((CoreRefs.Stream(CoreRefs.SignerKey(actorId, signerKeyId)), new SignerKeyRegistered(signerKeyId, actorId, signerPublicKey), ConsentEventTypes.SignerKeyRegistered));
                events.Add((CoreRefs.Stream(CoreRefs.ApiKey(actorId, key.KeyId)), new ApiKeyIssued(key.KeyId, actorId, key.SecretSha256), CoreEventTypes.ApiKeyIssued));
                events.Add(("core:recovery", new RecoveryPerformed(actorId, signerKeyId, key.KeyId, capabilityId, reason, Environment.UserName, Environment.MachineName), CoreEventTypes.RecoveryPerformed));
                var scope = new IdentityScope(actor.TenantId, kernel.Options.Mode, actorId, "cli");
                for (var i = 0; i < events.Count; i++)
                {
                    var (stream, payload, type) = events[i];
                    await session.AppendAsync(stream, null, [EventDraft.Create(
                        type, 1, EventDraft.Payload(payload), "bootstrap:" + runId, $"{runId}#{i}", i, now,
                        new Causation(runId, runId, CausationType.UserAction), bootstrapActor, null, null, scope, stream)], ct);
                }

                return actor.TenantId;
            },
            cancellationToken);
        return new BootstrapResult(actorId, tenant, capabilityId ?? string.Empty, key.Token, signerKeyId);
    }
}

/// <summary>What init created. <see cref="ApiKey"/> is shown once and stored nowhere.</summary>
internal sealed record BootstrapResult(string ActorId, string TenantId, string CapabilityId, string ApiKey, string SignerKeyId);

/// <summary>Bearer API keys: <c>ops_&lt;key_id&gt;_&lt;secret&gt;</c>; only SHA-256 of the secret is stored.</summary>
internal static class ApiKeys
{
    public static GeneratedKey Generate()
    {
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        return new GeneratedKey(keyId, $"ops_{keyId}_{secret}", Hash(secret));
    }

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>Whether a bearer token has the shape <c>ops_&lt;12 hex&gt;_&lt;48 hex&gt;</c>; anything else is refused without a lookup.</summary>
    public static bool IsWellFormed(string? token) =>
        token is { Length: 65 } && token.StartsWith("ops_", StringComparison.Ordinal) && token[16] == '_'
        && token.AsSpan(4, 12).ContainsAnyExcept(HexDigits) is false && token.AsSpan(17).ContainsAnyExcept(HexDigits) is false;

    /// <summary>
    /// Who a bearer token authenticates as of <paramref name="now"/>: the key must exist and not be revoked, and its actor
    /// must be registered and enabled. Compares hashes in constant time.
    /// </summary>
    public static ApiKeyCheck Authenticate(CoreState core, string? token, DateTimeOffset now)
    {
        if (!IsWellFormed(token))
        {
            return new ApiKeyCheck(null, null, "malformed");
        }

        var keyId = token![4..16];
        if (!core.ApiKeys.TryGetValue(keyId, out var key))
        {
            return new ApiKeyCheck(null, null, "unknown_key");
        }

        var presented = Encoding.ASCII.GetBytes(Hash(token[17..]));
        var stored = Encoding.ASCII.GetBytes(key.SecretSha256);
        if (!CryptographicOperations.FixedTimeEquals(presented, stored) || !core.Actors.TryGetValue(key.ActorId, out var actor))
        {
            return new ApiKeyCheck(null, keyId, "wrong_secret");
        }

        if (core.RevokedApiKeys.ContainsKey(keyId))
        {
            return new ApiKeyCheck(null, keyId, "key_revoked") { ActorId = actor.ActorId };
        }

        return core.ActorInvalidReason(actor.ActorId, now) is null
            ? new ApiKeyCheck(actor, keyId, null)
            : new ApiKeyCheck(null, keyId, "actor_disabled") { ActorId = actor.ActorId };
    }

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdef");
}

/// <summary>The result of checking a bearer token: the actor, or why not (<c>malformed</c>, <c>unknown_key</c>, <c>wrong_secret</c>, <c>key_revoked</c>, <c>actor_disabled</c>).</summary>
internal sealed record ApiKeyCheck(ActorRegistered? Actor, string? KeyId, string? Failure)
{
    /// <summary>The key's actor, when the key was real but refused.</summary>
    public string? ActorId { get; init; }
}

/// <summary>A new API key: the token to hand out once, and what the log stores.</summary>
internal sealed record GeneratedKey(string KeyId, string Token, string SecretSha256);
