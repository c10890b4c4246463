using Ops.Core.Capabilities;
using Ops.Core.Consent;
using Ops.Core.Egress;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Testing;

namespace Ops.Core.Tests.Trust;

/// <summary>
/// Issue 20 item 1, from the attacker's side: a tenant administrator of globex (every type, every target, its own tenant
/// only: <see cref="CapabilityScope.TenantAdmin"/>) against tenant acme, whose admin holds the root capability of init
/// (<see cref="CapabilityScope.All"/>, tenants '*'). Each refused attempt changes nothing and is recorded.
/// </summary>
public sealed class TenantBoundaryTests
{
    [Fact]
    public async Task TenantAdmin_CannotRegisterAnActorInAnotherTenant_NorGrantToOrKeyAnotherTenantsActor()
    {
        await using var h = await KernelHarness.StartAsync();
        var (gus, _) = await h.AddActorAsync("gus", CapabilityScope.TenantAdmin, tenantId: "globex");
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var head = await h.MutationHeadAsync();
        var safety = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);

        var intoAcme = await h.ProposeAsync("core.RegisterActor", null, new RegisterActor("mole", ActorKind.Human, "Mole", "acme"), gus);
        var grantToAdmin = await h.ProposeAsync("core.GrantCapability", null, new GrantCapability("admin", new CapabilityScope(["pack.*"], ["*"], [SafetyClass.Read])), gus);
        var disableAdmin = await h.ProposeAsync("core.DisableActor", null, new DisableActor("admin", "mine now"), gus);

        Assert.Equal(ReasonCodes.CapabilityDenied, intoAcme.Rejection?.ReasonCode);
        Assert.Contains("tenant 'acme'", intoAcme.Rejection!.Reason, StringComparison.Ordinal);
        Assert.Equal(ReasonCodes.CapabilityDenied, grantToAdmin.Rejection?.ReasonCode);
        Assert.Equal(ReasonCodes.CapabilityDenied, disableAdmin.Rejection?.ReasonCode);
        Assert.Equal(head, await h.MutationHeadAsync());
        h.Time.Advance(TimeSpan.FromMinutes(2));
        await h.Kernel.Safety.FlushAsync(all: false, CancellationToken.None);
        Assert.Equal(3, (await h.SafetyRecordsAfterAsync(safety)).Sum(r => r.Count));
        // Within its own tenant it administers as before.
        Assert.Null((await h.ProposeAsync("core.RegisterActor", null, new RegisterActor("hank", ActorKind.Human, "Hank", "globex"), gus)).Rejection);
        Assert.Null((await h.ProposeAsync("core.RegisterActor", null, new RegisterActor("ida", ActorKind.Human, "Ida"), gus)).Rejection);
    }

    [Fact]
    public async Task TenantAdmin_CannotConferWhatCrossesTenants()
    {
        await using var h = await KernelHarness.StartAsync();
        var (gus, _) = await h.AddActorAsync("gus", CapabilityScope.TenantAdmin, tenantId: "globex");
        await h.AddActorAsync("hank", new CapabilityScope(["pack.*"], ["*"], [SafetyClass.Read]), tenantId: "globex");
        h.Time.Advance(TimeSpan.FromSeconds(1));

        var escalation = await h.ProposeAsync("core.GrantCapability", null, new GrantCapability("hank", new CapabilityScope(["core.ReadLog"], ["*"], [SafetyClass.Read], ["*"])), gus);

        Assert.Equal(ReasonCodes.Escalation, escalation.Rejection?.ReasonCode);
    }

    [Fact]
    public async Task LogAndAuditReaders_SeeOnlyTheirTenant_UnlessTheirCapabilityNamesEveryTenant()
    {
        await using var h = await KernelHarness.StartAsync([("relay", (Packs.IOpsPack)new Egress.RelayPack())]);
        var reader = new CapabilityScope(["core.ReadLog"], ["*"], [SafetyClass.Read]);
        var (gus, _) = await h.AddActorAsync("gus", new CapabilityScope(["*"], ["*"], [SafetyClass.Read, SafetyClass.WriteInternal, SafetyClass.WriteExternalSideEffect]), tenantId: "globex");
        var (olga, _) = await h.AddActorAsync("olga", reader, tenantId: "globex");
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var probe = new Egress.RelayProbe();
        Assert.True((await h.SendAsync("pack.relay.messages.Send", "message-a", new Egress.SendMessage(probe.Id, "a", "acme's secret"))).IsAccepted);
        Assert.True((await h.SendAsync("pack.relay.messages.Send", "message-g", new Egress.SendMessage(probe.Id, "g", "globex's note"), gus)).IsAccepted);
        var runtime = new OpsRuntime(h.Kernel);

        var seenByOlga = await runtime.ReadEventsAsync(olga, 0, 1000, CancellationToken.None);
        var auditByOlga = await runtime.ReadAuditAsync(olga, null, null, null, null, CancellationToken.None);
        var seenByRoot = await runtime.ReadEventsAsync(h.AdminCaller, 0, 1000, CancellationToken.None);

        Assert.NotEmpty(seenByOlga);
        Assert.All(seenByOlga, e => Assert.Equal("globex", e.Envelope.Scope.TenantId));
        Assert.DoesNotContain(seenByOlga, e => e.Envelope.Payload.GetRawText().Contains("acme's secret", StringComparison.Ordinal));
        Assert.Single(auditByOlga);
        Assert.Equal("gus", auditByOlga[0].Record.Actor.Id);
        Assert.Contains(seenByRoot, e => e.Envelope.Scope.TenantId == "acme");
        Assert.Contains(seenByRoot, e => e.Envelope.Scope.TenantId == "globex");
    }

    [Fact]
    public async Task APolicyOfOneTenant_NeverConsentsToAnotherTenantsRequest()
    {
        await using var h = await KernelHarness.StartAsync([("relay", (Packs.IOpsPack)new Egress.RelayPack())]);
        var (gus, _) = await h.AddActorAsync("gus", CapabilityScope.TenantAdmin, tenantId: "globex");
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var created = await h.SendAsync("core.CreatePolicy", null, new CreatePolicy("relay-auto", new PolicyScope(["pack.relay.*"], ["egress:relay"], ["*"])));
        var policy = (await h.Kernel.EventLog.ReadAsync(created.Position!.Value - 1, 1, CancellationToken.None))[0].Envelope.PayloadAs<PolicyCreated>();
        Assert.True((await h.SendAsync("core.ActivatePolicy", null, new ActivatePolicy(policy.PolicyId, 1))).IsAccepted);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var probe = new Egress.RelayProbe();
        var sent = await h.SendAsync("pack.relay.messages.Send", "message-g", new Egress.SendMessage(probe.Id, "g", "from globex"), gus);
        var requestId = DeterministicIds.Derive("egress-request", sent.CommandId);

        var byAcmesPolicy = new ConsentGrant(ConsentKind.Policy, PolicyId: policy.PolicyId, PolicyVersion: 1);
        var refused = await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.ApproveAsync(requestId, byAcmesPolicy, gus.Actor, CancellationToken.None));

        Assert.Equal(ReasonCodes.PolicyNotApplicable, refused.Code);
        Assert.Contains("tenant 'acme'", refused.Message, StringComparison.Ordinal);
        Assert.Equal("pending", (await h.Kernel.Egress.Store.FindAsync(requestId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task ATenantsKillSwitch_HoldsOnlyItsTenant_AndCannotReleaseARootSwitch()
    {
        await using var h = await KernelHarness.StartAsync([("relay", (Packs.IOpsPack)new Egress.RelayPack())]);
        var (gus, _) = await h.AddActorAsync("gus", CapabilityScope.TenantAdmin, tenantId: "globex");
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var probe = new Egress.RelayProbe();
        var acme = DeterministicIds.Derive("egress-request", (await h.SendAsync("pack.relay.messages.Send", "message-a", new Egress.SendMessage(probe.Id, "a", "acme"))).CommandId);
        var globex = DeterministicIds.Derive("egress-request", (await h.SendAsync("pack.relay.messages.Send", "message-g", new Egress.SendMessage(probe.Id, "g", "globex"), gus)).CommandId);
        async Task<string> StatusAsync(string id) => (await h.Kernel.Egress.Store.FindAsync(id, CancellationToken.None))!.Status;

        // globex's operator says "global": it holds globex's requests, never acme's.
        Assert.Equal(1, await h.Kernel.Egress.EngageAsync("global", "globex incident", gus.Actor, CancellationToken.None));
        Assert.Equal(("pending", "held"), (await StatusAsync(acme), await StatusAsync(globex)));
        Assert.Equal(ReasonCodes.CapabilityDenied, (await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.EngageAsync("tenant:acme/global", "sabotage", gus.Actor, CancellationToken.None))).Code);

        // The root operator's switch covers every tenant; globex's operator cannot release it.
        Assert.Equal(1, await h.Kernel.Egress.EngageAsync("destination:relay", "root incident", new ActorRef("admin", ActorKind.Human), CancellationToken.None));
        Assert.Equal(ReasonCodes.NotFound, (await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.DisengageAsync("destination:relay", gus.Actor, CancellationToken.None))).Code);
        Assert.Equal("held", await StatusAsync(acme));
        Assert.Contains((await h.Kernel.Egress.Store.SwitchesAsync(CancellationToken.None)), s => s.Scope == "destination:relay");
    }
}
