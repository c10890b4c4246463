using System.Security.Cryptography;
using Ops.Core.Capabilities;
using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Core.Hosting;
using Ops.Testing;

namespace Ops.Core.Tests.Trust;

/// <summary>Issue 7, "revocation everywhere, at once": API keys, actors, signing keys, and break-glass recovery.</summary>
public sealed class RevocationTests
{
    private static readonly CapabilityScope Delegator = new(["pack.x.*", CoreCommands.DelegateCommandType, "core.GrantCapability"], ["*"], [SafetyClass.Read, SafetyClass.WriteInternal]);

    [Fact]
    public async Task RevokedApiKey_AuthenticatesNothing_OtherKeysStillDo()
    {
        await using var h = await KernelHarness.StartAsync();
        await h.AddActorAsync("svc", new CapabilityScope(["pack.x.*"], ["*"], [SafetyClass.Read]), ActorKind.Service);
        var (first, second) = (ApiKeys.Generate(), ApiKeys.Generate());
        Assert.True((await h.SendAsync("core.IssueApiKey", null, new IssueApiKey(first.KeyId, "svc", first.SecretSha256))).IsAccepted);
        Assert.True((await h.SendAsync("core.IssueApiKey", null, new IssueApiKey(second.KeyId, "svc", second.SecretSha256))).IsAccepted);

        var revoked = await h.SendAsync("core.RevokeApiKey", null, new RevokeApiKey(first.KeyId, "leaked"));

        Assert.True(revoked.IsAccepted, revoked.Reason);
        var core = await h.Kernel.CoreReader.CurrentAsync(CancellationToken.None);
        Assert.Equal("key_revoked", ApiKeys.Authenticate(core, first.Token, h.Time.GetUtcNow()).Failure);
        Assert.Equal("svc", ApiKeys.Authenticate(core, second.Token, h.Time.GetUtcNow()).Actor?.ActorId);
        Assert.Equal("malformed", ApiKeys.Authenticate(core, "ops_x", h.Time.GetUtcNow()).Failure);
    }

    [Fact]
    public async Task DisabledActor_CannotAct_AndWhatItGrantedStopsUntilEnabled()
    {
        await using var h = await KernelHarness.StartAsync();
        var (bob, bobs) = await h.AddActorAsync("bob", Delegator);
        var (carol, _) = await h.AddActorAsync("carol", new CapabilityScope(["pack.z.*"], ["*"], [SafetyClass.Read]));
        var delegated = await h.SendAsync(CoreCommands.DelegateCommandType, null, new DelegateCapability(bobs, "carol", new CapabilityScope(["pack.x.*"], ["*"], [SafetyClass.Read])), bob);
        Assert.True(delegated.IsAccepted, delegated.Reason);
        var child = CoreCommands.NewCapabilityId(delegated.CommandId);
        bool CarolMayRead(CoreState core) => CapabilityEvaluator.Evaluate(core, child, "carol", "pack.x.a.Read", "note-1", SafetyClass.Read, h.Time.GetUtcNow()).Allowed;
        Assert.True(CarolMayRead(await h.Kernel.CoreReader.CurrentAsync(CancellationToken.None)));

        Assert.True((await h.SendAsync("core.DisableActor", null, new DisableActor("bob", "on leave"))).IsAccepted);
        h.Time.Advance(TimeSpan.FromSeconds(1));

        var refused = await h.ProposeAsync("core.GrantCapability", null, new GrantCapability("carol", new CapabilityScope(["pack.x.*"], ["*"], [SafetyClass.Read])), bob);
        Assert.Equal("actor_disabled", refused.Rejection?.ReasonCode);
        Assert.False(CarolMayRead(await h.Kernel.CoreReader.CurrentAsync(CancellationToken.None)));

        Assert.True((await h.SendAsync("core.EnableActor", null, new EnableActor("bob"))).IsAccepted);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(CarolMayRead(await h.Kernel.CoreReader.CurrentAsync(CancellationToken.None)));
        Assert.NotNull(carol);
    }

    [Fact]
    public async Task GrantMadeUnderADelegation_DiesWithTheDelegation()
    {
        await using var h = await KernelHarness.StartAsync();
        var (bob, bobs) = await h.AddActorAsync("bob", Delegator);
        var (carol, _) = await h.AddActorAsync("carol", new CapabilityScope(["pack.z.*"], ["*"], [SafetyClass.Read]));
        await h.AddActorAsync("dave", new CapabilityScope(["pack.z.*"], ["*"], [SafetyClass.Read]));
        var delegated = await h.SendAsync(CoreCommands.DelegateCommandType, null, new DelegateCapability(bobs, "carol", new CapabilityScope(["pack.x.*", "core.GrantCapability"], ["*"], [SafetyClass.Read, SafetyClass.WriteInternal])), bob);
        Assert.True(delegated.IsAccepted, delegated.Reason);
        var granted = await h.SendAsync("core.GrantCapability", null, new GrantCapability("dave", new CapabilityScope(["pack.x.*"], ["*"], [SafetyClass.Read])), carol);
        Assert.True(granted.IsAccepted, granted.Reason);
        var daves = CoreCommands.NewCapabilityId(granted.CommandId);

        var revoked = await h.SendAsync("core.RevokeCapability", null, new RevokeCapability(CoreCommands.NewCapabilityId(delegated.CommandId), "contract ended"));
        Assert.True(revoked.IsAccepted, revoked.Reason);
        h.Time.Advance(TimeSpan.FromSeconds(1));

        var core = await h.Kernel.CoreReader.CurrentAsync(CancellationToken.None);
        var decision = CapabilityEvaluator.Evaluate(core, daves, "dave", "pack.x.a.Read", "note-1", SafetyClass.Read, h.Time.GetUtcNow());
        Assert.False(decision.Allowed);
        Assert.Contains("revoked", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RotatedSignerKey_OldSignaturesRefused_NewKeySigns()
    {
        await using var h = await KernelHarness.StartAsync();
        var oldKey = h.KeyOf("admin");
        var oldKeyId = ConsentSigning.KeyId(oldKey.ExportSubjectPublicKeyInfo());
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var proposal = (await h.ProposeAsync("core.RegisterActor", null, new RegisterActor("late", ActorKind.Human, "Late"))).Proposal!;
        var signedBefore = h.Sign(proposal.Interpretations[0]);

        var rotated = await h.SendAsync("core.RotateSignerKey", null, new RotateSignerKey(oldKeyId, Convert.ToBase64String(newKey.ExportSubjectPublicKeyInfo())));
        Assert.True(rotated.IsAccepted, rotated.Reason);
        h.Time.Advance(TimeSpan.FromSeconds(1));

        var stale = await h.CommitAsync(proposal, proposal.Interpretations[0], signedBefore);
        Assert.Equal("key_not_active", stale.Outcome.ReasonCode);
        var fresh = (await h.ProposeAsync("core.RegisterActor", null, new RegisterActor("late", ActorKind.Human, "Late"), idempotencyKey: "again")).Proposal!;
        var signed = ConsentSigning.Sign(newKey, "admin", fresh.Interpretations[0], h.Time.GetUtcNow(), TimeSpan.FromMinutes(5));
        Assert.True((await h.CommitAsync(fresh, fresh.Interpretations[0], signed)).Outcome.IsAccepted);
    }

    [Fact]
    public async Task AdminRecover_AfterTheLastSignerKeyIsRevoked_RestoresConsentAndRecordsIt()
    {
        await using var h = await KernelHarness.StartAsync();
        var keyId = ConsentSigning.KeyId(h.KeyOf("admin").ExportSubjectPublicKeyInfo());
        Assert.True((await h.SendAsync("core.RevokeSignerKey", null, new RevokeSignerKey(keyId, "laptop stolen"))).IsAccepted);
        Assert.Equal("key_not_active", (await h.SendAsync("core.RegisterActor", null, new RegisterActor("x", ActorKind.Human, "X"))).ReasonCode);

        using var replacement = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var result = await Recovery.RecoverAsync(h.Kernel, "admin", Convert.ToBase64String(replacement.ExportSubjectPublicKeyInfo()), "signer key stolen", CancellationToken.None);

        var proposal = (await h.ProposeAsync("core.RegisterActor", null, new RegisterActor("x", ActorKind.Human, "X"))).Proposal!;
        var consent = ConsentSigning.Sign(replacement, "admin", proposal.Interpretations[0], h.Time.GetUtcNow(), TimeSpan.FromMinutes(5));
        Assert.True((await h.CommitAsync(proposal, proposal.Interpretations[0], consent)).Outcome.IsAccepted);
        var core = await h.Kernel.CoreReader.CurrentAsync(CancellationToken.None);
        Assert.Equal("admin", ApiKeys.Authenticate(core, result.ApiKey, h.Time.GetUtcNow()).Actor?.ActorId);
        var recorded = await h.Kernel.EventLog.ReadStreamAsync("core:recovery", CancellationToken.None);
        Assert.Equal("signer key stolen", Assert.Single(recorded).Envelope.PayloadAs<RecoveryPerformed>().Reason);
    }
}
