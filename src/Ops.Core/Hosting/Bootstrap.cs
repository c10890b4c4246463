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
        var signerKeyId = ConsentCommands.ParseKey(signerPublicKey, out var keyError)
            ?? throw new InvalidOperationException("The admin signing key is not usable: " + keyError + " Nothing was changed.");
        var key = ApiKeys.Generate();
        var now = kernel.Time.GetUtcNow();
        var capabilityId = DeterministicIds.Derive("capability", "root", adminActorId, OpsJson.FormatInstant(now));
        var bootstrapActor = new ActorRef(BootstrapActorId, ActorKind.Service);
        var scope = new IdentityScope(tenantId, kernel.Options.Mode, adminActorId, "cli");
        var runId = DeterministicIds.Derive("init", adminActorId, OpsJson.FormatInstant(now));
        (string Stream, object Payload, string Type)[] genesis =
        [
            ("core:actor-" + adminActorId, new ActorRegistered(adminActorId, ActorKind.Human, tenantId, adminActorId), CoreEventTypes.ActorRegistered),
            ("core:capability-" + capabilityId, new CapabilityGranted(capabilityId, adminActorId, CapabilityScope.All, now, null, null, BootstrapActorId), CoreEventTypes.CapabilityGranted),
            ("core:apikey-" + key.KeyId, new ApiKeyIssued(key.KeyId, adminActorId, key.SecretSha256), CoreEventTypes.ApiKeyIssued),
            ("core:signer-key-" + signerKeyId, new SignerKeyRegistered(signerKeyId, adminActorId, signerPublicKey), ConsentEventTypes.SignerKeyRegistered),
        ];

        await kernel.Writer.ExecuteAsync(
            async (session, ct) =>
            {
                if (!session.Core.Actors.IsEmpty)
                {
                    throw new InvalidOperationException($"This database is already initialized (actors: {string.Join(", ", session.Core.Actors.Keys)}). Nothing was changed; use 'actors add' for more actors.");
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

    /// <summary>The actor a bearer token authenticates, or null. Compares hashes in constant time.</summary>
    public static ActorRegistered? Authenticate(CoreState core, string? token)
    {
        if (token is null || !token.StartsWith("ops_", StringComparison.Ordinal))
        {
            return null;
        }

        var parts = token.Split('_');
        if (parts.Length != 3 || !core.ApiKeys.TryGetValue(parts[1], out var key))
        {
            return null;
        }

        var presented = Encoding.ASCII.GetBytes(Hash(parts[2]));
        var stored = Encoding.ASCII.GetBytes(key.SecretSha256);
        return CryptographicOperations.FixedTimeEquals(presented, stored) && core.Actors.TryGetValue(key.ActorId, out var actor) ? actor : null;
    }
}

/// <summary>A new API key: the token to hand out once, and what the log stores.</summary>
internal sealed record GeneratedKey(string KeyId, string Token, string SecretSha256);
