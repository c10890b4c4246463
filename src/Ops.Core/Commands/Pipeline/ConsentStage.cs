using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Ops.Core.Capabilities;
using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Identity;

namespace Ops.Core.Commands.Pipeline;

/// <summary>
/// Stage 6: the consent bound to the chosen interpretation's preview (seed 000 §5): a signature by the
/// acting actor's active key, single use and expiring, or an active policy covering the command. Pure
/// but for the nonce lookup it is given.
/// </summary>
internal static partial class ConsentStage
{
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    /// <summary>The stream whose first event consumes a signature's nonce, or records a policy consent.</summary>
    public static string ConsentStream(ConsentGrant consent, string commandId) =>
        consent.Kind == ConsentKind.Signature
            ? "core:consent-" + ContentHash.Of(System.Text.Encoding.UTF8.GetBytes(consent.KeyId + ":" + consent.Nonce))[..32]
            : "core:consent-" + commandId[..32];

    public static async ValueTask<Rejection?> CheckAsync(CoreState core, ConsentGrant consent, ProposedInterpretation chosen, string commandType, string target, ActorRef actor, DateTimeOffset now, Func<string, ValueTask<bool>> streamExists) =>
        consent.Kind switch
        {
            ConsentKind.Signature => await CheckSignatureAsync(core, consent, chosen, actor, now, streamExists),
            ConsentKind.Policy => CheckPolicy(core, consent, commandType, target, actor.Id, now),
            _ => new Rejection(ReasonCodes.ConsentInvalid, "consent kind must be signature or policy"),
        };

    private static async ValueTask<Rejection?> CheckSignatureAsync(CoreState core, ConsentGrant consent, ProposedInterpretation chosen, ActorRef actor, DateTimeOffset now, Func<string, ValueTask<bool>> streamExists)
    {
        if (consent.Signer is null || consent.KeyId is null || consent.SignedAt is not { } signedAt || consent.ExpiresAt is not { } expiresAt || consent.Nonce is null || consent.Signature is null)
        {
            return new(ReasonCodes.ConsentInvalid, "a signature consent needs signer, key_id, signed_at, expires_at, nonce and signature");
        }

        if (!string.Equals(consent.Signer, actor.Id, StringComparison.Ordinal))
        {
            return new(ReasonCodes.ConsentInvalid, $"the signer '{consent.Signer}' is not the acting actor '{actor.Id}'") { Field = "signer", Claimed = consent.Signer, Derived = actor.Id };
        }

        if (!NoncePattern().IsMatch(consent.Nonce) || consent.KeyId.Length > 64 || consent.Signature.Length > 256)
        {
            return new(ReasonCodes.ConsentInvalid, "nonce must be 16 to 64 characters of [A-Za-z0-9_-], key_id at most 64 and signature at most 256 characters");
        }

        if (expiresAt <= signedAt || expiresAt - signedAt > ConsentSigning.MaxLifetime || signedAt > now + ClockSkew)
        {
            return new(ReasonCodes.ConsentInvalid, $"signed_at must not be in the future and expires_at must be after it by at most {ConsentSigning.MaxLifetime.TotalMinutes:0} minutes");
        }

        if (now >= expiresAt)
        {
            return new(ReasonCodes.ConsentExpired, $"the signature expired at {OpsJson.FormatInstant(expiresAt)}; sign the preview again");
        }

        var (keyAtSigning, revokedAtSigning) = core.SignerKeyAt(consent.KeyId, signedAt);
        if (keyAtSigning is null || revokedAtSigning is not null || !string.Equals(keyAtSigning.ActorId, consent.Signer, StringComparison.Ordinal))
        {
            return new(ReasonCodes.KeyNotActive, $"key {consent.KeyId} was not an active key of '{consent.Signer}' at the signing time {OpsJson.FormatInstant(signedAt)}");
        }

        if (core.SignerKeyAt(consent.KeyId, now).Revoked is { } revokedNow)
        {
            // Stricter than "active at signing time": signed_at is the signer's claim, so a revoked key signs nothing more.
            return new(ReasonCodes.KeyNotActive, $"key {consent.KeyId} has been revoked ({revokedNow.Reason}); its signatures are no longer accepted");
        }

        var bytes = ConsentSigning.SignedBytes(chosen.PreviewHash, chosen.InterpretationId, consent.Signer, consent.KeyId, signedAt, expiresAt, consent.Nonce);
        bool valid;
        try
        {
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(keyAtSigning.PublicKey), out _);
            valid = key.VerifyData(bytes, Convert.FromBase64String(consent.Signature), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (FormatException)
        {
            valid = false;
        }

        if (!valid)
        {
            return new(ReasonCodes.SignatureInvalid, "the signature does not verify for this preview, interpretation, signer, key, times and nonce");
        }

        if (await streamExists(ConsentStream(consent, string.Empty)))
        {
            return new(ReasonCodes.SignatureAlreadyUsed, "this signature (its nonce) was already used by a commit; a signature is used once");
        }

        return null;
    }

    private static Rejection? CheckPolicy(CoreState core, ConsentGrant consent, string commandType, string target, string actorId, DateTimeOffset now)
    {
        if (consent.PolicyId is null || consent.PolicyVersion is null)
        {
            return new(ReasonCodes.ConsentInvalid, "a policy consent needs policy_id and policy_version");
        }

        if (commandType.StartsWith("core.", StringComparison.Ordinal))
        {
            return new(ReasonCodes.PolicyNotApplicable, "core.* commands need a signer's consent; no policy approves them");
        }

        var version = core.PolicyVersionsAt(consent.PolicyId, now).FirstOrDefault(v => v.Version == consent.PolicyVersion);
        if (version is null || version.Status != "active")
        {
            return new(ReasonCodes.PolicyNotApplicable, $"policy {CapabilityEvaluator.Short(consent.PolicyId)} v{consent.PolicyVersion} is {version?.Status ?? "unknown"}, not active");
        }

        // A policy consents only within the tenant it was created in (seed 001: tenant from tenant).
        if (version.TenantId is { } policyTenant && (!core.Actors.TryGetValue(actorId, out var actor) || actor.TenantId != policyTenant))
        {
            return new(ReasonCodes.PolicyNotApplicable, $"policy {version.Name} v{version.Version} belongs to tenant '{policyTenant}' and consents only to its actors' commands");
        }

        return ConsentScope.Covers(version.Scope, commandType, target, actorId)
            ? null
            : new(ReasonCodes.PolicyNotApplicable, $"policy {version.Name} v{version.Version} does not cover {commandType} on '{target}' by '{actorId}'");
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{16,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex NoncePattern();
}
