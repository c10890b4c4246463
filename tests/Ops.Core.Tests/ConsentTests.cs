using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ops.Core.Capabilities;
using Ops.Core.Commands;
using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Log;
using Ops.Testing;

namespace Ops.Core.Tests;

public sealed class ConsentTests
{
    private static Task<long> HeadAsync(KernelHarness h) => h.MutationHeadAsync();

    private static async Task<(Proposal Proposal, ProposedInterpretation Interpretation)> ProposeActorAsync(KernelHarness h, string actorId)
    {
        var proposed = await h.ProposeAsync("core.RegisterActor", null, new RegisterActor(actorId, ActorKind.Human, actorId));
        Assert.Null(proposed.Rejection);
        return (proposed.Proposal!, Assert.Single(proposed.Proposal!.Interpretations));
    }

    [Fact]
    public async Task Send_WriteCommandWithoutConsent_RejectedAndLogUnchanged()
    {
        await using var h = await KernelHarness.StartAsync();
        var head = await HeadAsync(h);

        var outcome = await h.SendWithoutConsentAsync("core.RegisterActor", null, new RegisterActor("bob", ActorKind.Human, "Bob"));

        Assert.Equal("consent_required", outcome.ReasonCode);
        Assert.Equal(head, await HeadAsync(h));
    }

    [Fact]
    public async Task Send_EveryRegisteredWriteCommand_RequiresConsent()
    {
        await using var h = await KernelHarness.StartAsync([new MailPack()]);
        var writes = h.Kernel.Registry.Commands.Values.Where(c => c.SafetyClass == SafetyClass.WriteInternal).ToList();
        Assert.NotEmpty(writes);

        foreach (var command in writes)
        {
            var envelope = new CommandEnvelope { CommandType = command.Name, TargetRef = "x", Payload = JsonDocument.Parse("{}").RootElement };
            var outcome = await h.Kernel.Gateway.SendAsync(envelope, h.AdminCaller, CancellationToken.None);
            Assert.Equal("consent_required", outcome.ReasonCode);
        }
    }

    [Fact]
    public async Task Propose_SameStateAndCommand_ByteIdenticalPreviewAndWritesNothing()
    {
        await using var h = await KernelHarness.StartAsync();
        var head = await HeadAsync(h);

        var first = await h.ProposeAsync("core.RegisterActor", null, new RegisterActor("bob", ActorKind.Human, "Bob"));
        var second = await h.ProposeAsync("core.RegisterActor", null, new RegisterActor("bob", ActorKind.Human, "Bob"));

        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(first.Proposal, OpsJson.Options), JsonSerializer.SerializeToUtf8Bytes(second.Proposal, OpsJson.Options));
        Assert.Equal(head, await HeadAsync(h));
        var preview = first.Proposal!.Interpretations[0].Preview;
        Assert.Equal(["/actor_id", "/display_name", "/kind", "/tenant_id"], preview.Select(c => c.Path).ToArray());
        Assert.All(preview, c => Assert.Equal(JsonValueKind.Null, c.Before.ValueKind));
        Assert.Equal("mutate", first.Proposal.Interpretations[0].ActionType);
    }

    [Fact]
    public async Task Commit_ValidSignature_AppendsEventsConsentAndAuditInOneTransaction()
    {
        await using var h = await KernelHarness.StartAsync();
        var (proposal, interpretation) = await ProposeActorAsync(h, "bob");
        var head = await HeadAsync(h);

        var result = await h.CommitAsync(proposal, interpretation, h.Sign(interpretation));

        Assert.True(result.Outcome.IsAccepted, result.Outcome.Reason);
        var appended = await h.Kernel.EventLog.ReadAsync(head, 10, CancellationToken.None);
        Assert.Equal([CoreEventTypes.ActorRegistered, ConsentEventTypes.ConsentRecorded, ConsentEventTypes.MutationCommitted], appended.Select(e => e.Envelope.EventType).ToArray());
        var audit = appended[2].Envelope.PayloadAs<MutationCommitted>();
        Assert.Equal("admin", audit.Actor.Id);
        Assert.Equal("core.RegisterActor", audit.Action);
        Assert.Equal("actor-bob", audit.TargetRef);
        Assert.Equal(interpretation.PreviewHash, audit.PreviewHash);
        Assert.Equal(interpretation.Preview.Count, audit.Delta.Count);
        Assert.Equal(ConsentKind.Signature, audit.ConsentKind);
        Assert.Equal("admin", audit.Signer);
        Assert.Equal(h.Admin.CapabilityId, audit.CapabilityId);
        Assert.False(string.IsNullOrEmpty(audit.CapabilityStateRef));
        Assert.Equal("bob", result.FinalState!.Value.GetProperty("actor_id").GetString());
        Assert.All(appended, e => Assert.Equal(appended[0].Envelope.CausationId, e.Envelope.CausationId));
    }

    [Fact]
    public async Task Commit_ReplayedSignature_RejectedAndNothingWritten()
    {
        await using var h = await KernelHarness.StartAsync();
        var (proposal, interpretation) = await ProposeActorAsync(h, "bob");
        var consent = h.Sign(interpretation);
        Assert.True((await h.CommitAsync(proposal, interpretation, consent)).Outcome.IsAccepted);
        var head = await HeadAsync(h);

        var replay = await h.CommitAsync(proposal, interpretation, consent);

        Assert.Equal("signature_already_used", replay.Outcome.ReasonCode);
        Assert.Equal(head, await HeadAsync(h));
    }

    [Fact]
    public async Task Commit_ExpiredSignature_Rejected()
    {
        await using var h = await KernelHarness.StartAsync();
        var (proposal, interpretation) = await ProposeActorAsync(h, "bob");
        var consent = ConsentSigning.Sign(h.KeyOf("admin"), "admin", interpretation, h.Time.GetUtcNow(), TimeSpan.FromMinutes(2));
        h.Time.Advance(TimeSpan.FromMinutes(3));
        var head = await HeadAsync(h);

        var result = await h.CommitAsync(proposal, interpretation, consent);

        Assert.Equal("consent_expired", result.Outcome.ReasonCode);
        Assert.Equal(head, await HeadAsync(h));
    }

    [Fact]
    public async Task Commit_SignatureMadeForAnotherPreview_Rejected()
    {
        await using var h = await KernelHarness.StartAsync();
        var (bobProposal, bobInterpretation) = await ProposeActorAsync(h, "bob");
        var (eveProposal, eveInterpretation) = await ProposeActorAsync(h, "eve");
        var signedForBob = h.Sign(bobInterpretation);
        var head = await HeadAsync(h);

        // Eve's preview with Bob's signature: the signature is bound to Bob's preview hash.
        var result = await h.CommitAsync(eveProposal, eveInterpretation, signedForBob);

        Assert.Equal("signature_invalid", result.Outcome.ReasonCode);
        Assert.Equal(head, await HeadAsync(h));
        Assert.True((await h.CommitAsync(bobProposal, bobInterpretation, signedForBob)).Outcome.IsAccepted);
    }

    [Fact]
    public async Task Commit_SignatureForAnotherInterpretation_Rejected()
    {
        await using var h = await KernelHarness.StartAsync();
        var (proposal, interpretation) = await ProposeActorAsync(h, "bob");
        var forged = interpretation with { InterpretationId = "0000000000000000" };
        var consent = h.Sign(forged);

        var asSigned = await h.Kernel.Gateway.CommitAsync(new CommitRequest(proposal.Command, proposal.ProposedAt, forged.InterpretationId, interpretation.PreviewHash, consent), h.AdminCaller, CancellationToken.None);
        var swapped = await h.CommitAsync(proposal, interpretation, consent);

        Assert.Equal("preview_mismatch", asSigned.Outcome.ReasonCode);
        Assert.Equal("signature_invalid", swapped.Outcome.ReasonCode);
    }

    [Fact]
    public async Task Commit_KeyRevokedBeforeSigning_Rejected()
    {
        await using var h = await KernelHarness.StartAsync();
        var (bob, _) = await h.AddActorAsync("bob", CapabilityScope.All);
        var keyId = ConsentSigning.KeyId(h.KeyOf("bob").ExportSubjectPublicKeyInfo());
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var revoked = await h.SendAsync("core.RevokeSignerKey", null, new RevokeSignerKey(keyId, "laptop stolen"));
        Assert.True(revoked.IsAccepted, revoked.Reason);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var proposed = await h.ProposeAsync("core.RegisterActor", null, new RegisterActor("eve", ActorKind.Human, "Eve"), bob);
        var interpretation = proposed.Proposal!.Interpretations[0];
        var head = await HeadAsync(h);

        var result = await h.CommitAsync(proposed.Proposal, interpretation, h.Sign(interpretation, "bob"), bob);

        Assert.Equal("key_not_active", result.Outcome.ReasonCode);
        Assert.Equal(head, await HeadAsync(h));
    }

    [Fact]
    public async Task Commit_PayloadTamperedAfterSigning_RejectedAndNothingWritten()
    {
        await using var h = await KernelHarness.StartAsync();
        var (proposal, interpretation) = await ProposeActorAsync(h, "bob");
        var consent = h.Sign(interpretation);
        var tampered = proposal.Command with { Payload = JsonSerializer.SerializeToElement(new RegisterActor("bob", ActorKind.Human, "Bob", "other-tenant"), OpsJson.Options), CommandId = null };
        var head = await HeadAsync(h);

        var result = await h.Kernel.Gateway.CommitAsync(new CommitRequest(tampered, proposal.ProposedAt, interpretation.InterpretationId, interpretation.PreviewHash, consent), h.AdminCaller, CancellationToken.None);

        Assert.Equal("preview_mismatch", result.Outcome.ReasonCode);
        Assert.Equal(head, await HeadAsync(h));
    }

    [Fact]
    public async Task Commit_StateChangedSincePreview_NothingWrittenAndErrorSaysSo()
    {
        await using var h = await KernelHarness.StartAsync();
        var (_, capability) = await h.AddActorAsync("bob", CapabilityScope.All);
        var proposed = await h.ProposeAsync("core.ChangeCapabilityScope", null, new ChangeCapabilityScope(capability, new CapabilityScope(["a.*"], ["*"], [SafetyClass.Read])));
        var interpretation = proposed.Proposal!.Interpretations[0];
        var consent = h.Sign(interpretation);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var other = await h.SendAsync("core.ChangeCapabilityScope", null, new ChangeCapabilityScope(capability, new CapabilityScope(["b.*"], ["*"], [SafetyClass.Read])));
        Assert.True(other.IsAccepted, other.Reason);
        var head = await HeadAsync(h);

        var result = await h.CommitAsync(proposed.Proposal, interpretation, consent);

        Assert.Equal("preview_mismatch", result.Outcome.ReasonCode);
        Assert.Contains("state changed since the preview", result.Outcome.Reason, StringComparison.Ordinal);
        Assert.Contains("Nothing was appended", result.Outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(head, await HeadAsync(h));
    }

    [Fact]
    public async Task Commit_TwoConcurrentCommitsOfOneSignature_ExactlyOneSucceeds()
    {
        await using var h = await KernelHarness.StartAsync();
        var (proposal, interpretation) = await ProposeActorAsync(h, "bob");
        var consent = h.Sign(interpretation);
        var head = await HeadAsync(h);

        var results = await Task.WhenAll(h.CommitAsync(proposal, interpretation, consent), h.CommitAsync(proposal, interpretation, consent));

        Assert.Single(results, r => r.Outcome.IsAccepted);
        Assert.Single(results, r => r.Outcome.ReasonCode == "signature_already_used");
        Assert.Equal(head + 3, await HeadAsync(h));
    }

    [Fact]
    public async Task Commit_SignerIsNotTheActingActor_Rejected()
    {
        await using var h = await KernelHarness.StartAsync();
        var (bob, _) = await h.AddActorAsync("bob", CapabilityScope.All);
        var (proposal, interpretation) = await ProposeActorAsync(h, "eve");

        var result = await h.CommitAsync(proposal, interpretation, h.Sign(interpretation, "admin"), bob);

        Assert.True(result.Outcome.ReasonCode is "command_id_mismatch" or "consent_invalid" or "identity_mismatch", result.Outcome.ReasonCode);
    }

    [Fact]
    public async Task Commit_PolicyConsent_ActivePolicyCoversCommand_ElseRejected()
    {
        await using var h = await KernelHarness.StartAsync([new MailPack()]);
        var created = await h.SendAsync("core.CreatePolicy", null, new CreatePolicy("auto-actors", new PolicyScope(["pack.mail.*"], ["*"], ["admin"])));
        Assert.True(created.IsAccepted, created.Reason);
        var policy = (await h.Kernel.EventLog.ReadAsync(created.Position!.Value - 1, 1, CancellationToken.None))[0].Envelope.PayloadAs<PolicyCreated>();
        var coreByPolicy = await h.SendAsync("core.CreatePolicy", null, new CreatePolicy("core", new PolicyScope(["core.*"], ["*"], ["*"])));
        Assert.Equal("policy_covers_core", coreByPolicy.ReasonCode);

        var draftUse = await h.Kernel.Gateway.CommitAsync(new CommitRequest(KernelHarness.Envelope("core.RegisterActor", "actor-bob", new RegisterActor("bob", ActorKind.Human, "Bob")), null, null, null, new ConsentGrant(ConsentKind.Policy, PolicyId: policy.PolicyId, PolicyVersion: 1)), h.AdminCaller, CancellationToken.None);
        Assert.Equal("policy_not_applicable", draftUse.Outcome.ReasonCode);

        var activated = await h.SendAsync("core.ActivatePolicy", null, new ActivatePolicy(policy.PolicyId, 1));
        Assert.True(activated.IsAccepted, activated.Reason);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var stillCore = await h.Kernel.Gateway.CommitAsync(new CommitRequest(KernelHarness.Envelope("core.RegisterActor", "actor-bob", new RegisterActor("bob", ActorKind.Human, "Bob")), null, null, null, new ConsentGrant(ConsentKind.Policy, PolicyId: policy.PolicyId, PolicyVersion: 1)), h.AdminCaller, CancellationToken.None);
        Assert.Equal("policy_not_applicable", stillCore.Outcome.ReasonCode);
    }

    [Fact]
    public async Task AuditExport_VerifiesOffline_AndDetectsAnEditedLine()
    {
        await using var h = await KernelHarness.StartAsync();
        await h.SendAsync("core.RegisterActor", null, new RegisterActor("bob", ActorKind.Human, "Bob"));
        var records = await AuditReader.QueryAsync(h.Kernel.EventLog, "admin", "actor-bob", null, null, CancellationToken.None);
        Assert.Single(records);
        Assert.Empty(await AuditReader.QueryAsync(h.Kernel.EventLog, "bob", null, null, null, CancellationToken.None));

        var export = new StringWriter();
        var end = (await h.Kernel.Checkpoints.SignAsync(false, null, CancellationToken.None))!.Checkpoint;
        var rows = await ChainExport.ExportAsync(h.Kernel.EventLog.Store, export, null, end, CancellationToken.None);
        using var key = h.Kernel.Checkpoints.TrustedKey();
        var good = await ChainExport.VerifyAsync(new StringReader(export.ToString()), key, CancellationToken.None);
        var lines = export.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("\"bob\"", lines[4], StringComparison.Ordinal);
        lines[4] = lines[4].Replace("\"bob\"", "\"mallory\"", StringComparison.Ordinal);
        var edited = await ChainExport.VerifyAsync(new StringReader(string.Join('\n', lines)), key, CancellationToken.None);

        Assert.True(good.IsIntact);
        Assert.Equal(rows, good.Chain!.RowsChecked);
        Assert.False(edited.IsIntact);
        Assert.Equal(5, edited.Chain!.FirstBrokenPosition);
    }
}
