using Ops.Core.Capabilities;
using Ops.Core.Commands;
using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Core.Safety;
using Ops.Testing;

namespace Ops.Core.Tests.Trust;

/// <summary>
/// Seed 001, "Safety Decisions", and seed 001 §5: every refusal on a trust boundary is recorded with its justification,
/// even when enforcement denies execution; the refused command still writes nothing; recording is coalesced.
/// </summary>
public sealed class SafetyRecordTests
{
    [Theory]
    [InlineData("tenant_id", "globex", "acme")]
    [InlineData("mode", "lab", "system")]
    [InlineData("user_id", "root", "admin")]
    [InlineData("surface_id", "canvas", "test")]
    public async Task ClaimedIdentityThatDiffers_RefusedWithAnIdentityRecordAndNothingElse(string field, string claimed, string derived)
    {
        await using var h = await KernelHarness.StartAsync();
        var head = await h.MutationHeadAsync();
        var all = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);
        var scope = field switch
        {
            "tenant_id" => new IdentityScope(claimed, "system", null, null),
            "mode" => new IdentityScope("acme", claimed, null, null),
            "user_id" => new IdentityScope("acme", "system", claimed, null),
            _ => new IdentityScope("acme", "system", null, claimed),
        };

        var outcome = await h.SendEnvelopeAsync(KernelHarness.Envelope("core.RegisterActor", null, new RegisterActor("eve", ActorKind.Human, "Eve")) with { Scope = scope });

        Assert.Equal("identity_mismatch", outcome.ReasonCode);
        Assert.Equal(head, await h.MutationHeadAsync());
        var record = Assert.Single(await h.SafetyRecordsAfterAsync(all));
        Assert.Equal((field, claimed, derived, "admin", "acme"), (record.Field, record.Claimed, record.Derived, record.ActorId, "acme"));
    }

    [Fact]
    public async Task HeaderClaim_IsCheckedLikeAnEnvelopeClaim()
    {
        await using var h = await KernelHarness.StartAsync();
        var caller = h.AdminCaller with { Claims = new Dictionary<string, string> { ["tenant_id"] = "globex" } };

        var result = await h.ProposeAsync("core.RegisterActor", null, new RegisterActor("eve", ActorKind.Human, "Eve"), caller);

        Assert.Equal("identity_mismatch", result.Rejection?.ReasonCode);
    }

    [Fact]
    public async Task RefusedConsents_EachLeaveARecord_TheCommitWritesNothing()
    {
        await using var h = await KernelHarness.StartAsync();
        async Task<(Proposal Proposal, ProposedInterpretation Interpretation)> ProposeAsync(string actor)
        {
            var proposal = (await h.ProposeAsync("core.RegisterActor", null, new RegisterActor(actor, ActorKind.Human, actor))).Proposal!;
            return (proposal, proposal.Interpretations[0]);
        }

        var (used, usedInterpretation) = await ProposeAsync("bob");
        var usedConsent = h.Sign(usedInterpretation);
        Assert.True((await h.CommitAsync(used, usedInterpretation, usedConsent)).Outcome.IsAccepted);
        var (other, otherInterpretation) = await ProposeAsync("carol");
        var (late, lateInterpretation) = await ProposeAsync("dave");
        var shortLived = ConsentSigning.Sign(h.KeyOf("admin"), "admin", lateInterpretation, h.Time.GetUtcNow(), TimeSpan.FromMinutes(1));
        var head = await h.MutationHeadAsync();
        var all = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);

        var replayed = await h.CommitAsync(used, usedInterpretation, usedConsent);
        var wrongPreview = await h.Kernel.Gateway.CommitAsync(new CommitRequest(other.Command, other.ProposedAt, otherInterpretation.InterpretationId, new string('0', 64), h.Sign(otherInterpretation)), h.AdminCaller, CancellationToken.None);
        h.Time.Advance(TimeSpan.FromMinutes(2));
        var expired = await h.CommitAsync(late, lateInterpretation, shortLived);

        Assert.Equal("signature_already_used preview_mismatch consent_expired", $"{replayed.Outcome.ReasonCode} {wrongPreview.Outcome.ReasonCode} {expired.Outcome.ReasonCode}");
        Assert.Equal(head, await h.MutationHeadAsync());
        var codes = (await h.SafetyRecordsAfterAsync(all)).Select(r => r.ReasonCode).Order(StringComparer.Ordinal);
        Assert.Equal(["consent_expired", "preview_mismatch", "signature_already_used"], codes);
    }

    [Fact]
    public async Task AFloodOfDenials_IsCoalescedIntoOneRecordPerWindow_WithItsCount()
    {
        await using var h = await KernelHarness.StartAsync();
        var (mallory, _) = await h.AddActorAsync("mallory", new CapabilityScope(["pack.none.*"], ["*"], [SafetyClass.Read]));
        var all = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);

        for (var i = 0; i < 500; i++)
        {
            var refused = await h.ProposeAsync("core.RegisterActor", null, new RegisterActor("x" + i, ActorKind.Human, "X"), mallory);
            Assert.Equal("capability_denied", refused.Rejection?.ReasonCode);
        }

        Assert.Single(await h.SafetyRecordsAfterAsync(all));
        h.Time.Advance(TimeSpan.FromMinutes(2));
        await h.Kernel.Safety.FlushAsync(all: false, CancellationToken.None);

        var records = await h.SafetyRecordsAfterAsync(all);
        Assert.Equal(2, records.Count);
        Assert.Equal(500, records.Sum(r => r.Count));
        Assert.All(records, r => Assert.Equal(("mallory", "capability_denied"), (r.ActorId, r.ReasonCode)));
    }

    [Fact]
    public async Task Recorder_HoldsBoundedState_WhateverTheNumberOfDistinctActors()
    {
        await using var h = await KernelHarness.StartAsync();
        var recorder = h.Kernel.Safety;
        var appended = 0;
        for (var i = 0; i < SafetyRecorder.MaxPendingKeys + 500; i++)
        {
            if (await recorder.RecordAsync(new SafetyDecision("test", "actor" + i, "acme", null, "capability_denied", "no"), CancellationToken.None))
            {
                appended++;
            }
        }

        // Beyond the bound, refusals fall into one overflow window instead of a new key each.
        Assert.Equal(SafetyRecorder.MaxPendingKeys + 1, appended);
    }

    [Fact]
    public async Task TenThousandDistinctRefusalsInAMinute_StayDistinguishable_WhileTheRecordAndTheStateStayBounded()
    {
        await using var h = await KernelHarness.StartAsync();
        var recorder = h.Kernel.Safety;
        var all = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);
        var appended = 0;
        for (var i = 0; i < 10_000; i++)
        {
            // Distinct routes and objects by one actor for one reason: the 117 refusals that read as one record.
            var decision = new SafetyDecision("route-" + (i % 100), "mallory", "acme", null, "capability_denied", "refusal " + i) { ObjectRef = "object-" + (i % 50) };
            if (await recorder.RecordAsync(decision, CancellationToken.None))
            {
                appended++;
            }
        }

        Assert.Equal(1, appended);
        h.Time.Advance(TimeSpan.FromMinutes(2));
        await recorder.FlushAsync(all: false, CancellationToken.None);

        var records = await h.SafetyRecordsAfterAsync(all);
        Assert.Equal(2, records.Count);
        Assert.Equal(10_000, records.Sum(r => r.Count));
        var coalesced = records[1];
        Assert.Equal(SafetyRecorder.MaxAttemptsPerRecord, coalesced.Attempts!.Count);
        Assert.Equal(9_999 - coalesced.Attempts.Sum(a => a.Count), coalesced.OtherAttempts);
        // Each distinct (route, object) keeps its own count and its first and last details.
        var first = coalesced.Attempts[0];
        Assert.Equal(("route-1", "object-1", "refusal 1"), (first.Route, first.ObjectRef, first.FirstReason));
        Assert.True(first.Count > 1);
        Assert.NotEqual(first.FirstReason, first.LastReason);
        Assert.Equal(coalesced.Attempts.Count, coalesced.Attempts.Select(a => (a.Route, a.ObjectRef)).Distinct().Count());
    }

    [Fact]
    public async Task IdentityClaimInAPackPayload_ThatThePayloadDoesNotDeclare_IsRefusedAsAClaimAndRecorded()
    {
        await using var h = await KernelHarness.StartAsync([("relay", (Ops.Core.Packs.IOpsPack)new Egress.RelayPack())]);
        var all = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);
        var payload = new Dictionary<string, object> { ["probe_id"] = "p", ["message_id"] = "m-1", ["text"] = "hi", ["tenant_id"] = "globex" };

        var result = await h.ProposeAsync("pack.relay.messages.Send", "message-m-1", payload);

        Assert.Equal("identity_mismatch", result.Rejection?.ReasonCode);
        var record = Assert.Single(await h.SafetyRecordsAfterAsync(all));
        Assert.Equal(("tenant_id", "globex", "admin", "message-m-1"), (record.Field, record.Claimed, record.ActorId, record.ObjectRef));
    }

    [Fact]
    public async Task EgressRefusals_EachLeaveARecordNamingTheRequest()
    {
        await using var h = await KernelHarness.StartAsync([("relay", (Ops.Core.Packs.IOpsPack)new Egress.RelayPack())]);
        var probe = new Egress.RelayProbe();
        var sent = await h.SendAsync("pack.relay.messages.Send", "message-m-1", new Egress.SendMessage(probe.Id, "m-1", "hello"));
        var requestId = Identity.DeterministicIds.Derive("egress-request", sent.CommandId);
        var (gus, _) = await h.AddActorAsync("gus", new CapabilityScope(["core.ApproveEgress", "core.OperateEgress"], ["egress:*"], [SafetyClass.WriteInternal]), tenantId: "globex");
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var all = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);

        await Assert.ThrowsAsync<Errors.OpsException>(() => h.Kernel.Operations.RejectAsync(requestId, "mine now", gus.Actor, CancellationToken.None));
        await Assert.ThrowsAsync<Errors.OpsException>(() => h.Kernel.Operations.ReleaseSwitchAsync("global", gus.Actor, CancellationToken.None));

        var records = await h.SafetyRecordsAfterAsync(all);
        Assert.Contains(records, r => (r.Route, r.ReasonCode, r.ObjectRef, r.ActorId) == ("egress reject", "capability_denied", requestId, "gus"));
        Assert.Contains(records, r => r.Route == "egress switch release" && r.ObjectRef == "switch:global");
    }
}
