using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Ops.Testing;

namespace Ops.Core.Tests;

public sealed class CapabilityTests
{
    private static readonly CapabilityScope NotesReadWrite = new(["core.RegisterActor"], ["*"], [SafetyClass.WriteInternal]);

    private static CapabilityDecision Check(KernelHarness h, string capabilityId, string actor, string type, DateTimeOffset at, string target = "actor-x") =>
        CapabilityEvaluator.Evaluate(h.Kernel.Writer.CommittedCore, capabilityId, actor, type, target, SafetyClass.WriteInternal, at);

    [Fact]
    public async Task Evaluate_AsOfTime_UsesOnlyEventsUpToThatTime()
    {
        await using var h = await KernelHarness.StartAsync();
        var beforeGrant = h.Time.GetUtcNow();
        h.Time.Advance(TimeSpan.FromMinutes(1));
        var (_, capability) = await h.AddActorAsync("bob", NotesReadWrite);
        var granted = h.Time.GetUtcNow();
        h.Time.Advance(TimeSpan.FromMinutes(1));
        var revoke = await h.SendAsync("core.RevokeCapability", null, new RevokeCapability(capability, "left the team"));
        var afterRevoke = h.Time.GetUtcNow();

        Assert.True(revoke.IsAccepted, revoke.Reason);
        Assert.False(Check(h, capability, "bob", "core.RegisterActor", beforeGrant).Allowed);
        Assert.True(Check(h, capability, "bob", "core.RegisterActor", granted).Allowed);
        var now = Check(h, capability, "bob", "core.RegisterActor", afterRevoke);
        Assert.False(now.Allowed);
        Assert.Contains("revoked", now.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_ScopeChanged_HistoryKeepsOldScopeAndStateRef()
    {
        await using var h = await KernelHarness.StartAsync();
        var (_, capability) = await h.AddActorAsync("bob", NotesReadWrite);
        var before = h.Time.GetUtcNow();
        var oldRef = Check(h, capability, "bob", "core.RegisterActor", before).StateRef;
        h.Time.Advance(TimeSpan.FromMinutes(1));
        var change = await h.SendAsync("core.ChangeCapabilityScope", null, new ChangeCapabilityScope(capability, new CapabilityScope(["core.IssueApiKey"], ["*"], [SafetyClass.WriteInternal])));
        Assert.True(change.IsAccepted, change.Reason);

        var then = Check(h, capability, "bob", "core.RegisterActor", before);
        var now = Check(h, capability, "bob", "core.RegisterActor", h.Time.GetUtcNow());

        Assert.True(then.Allowed);
        Assert.Equal(oldRef, then.StateRef);
        Assert.False(now.Allowed);
        Assert.True(Check(h, capability, "bob", "core.IssueApiKey", h.Time.GetUtcNow()).Allowed);
        Assert.Equal(change.EventIds[0], Check(h, capability, "bob", "core.IssueApiKey", h.Time.GetUtcNow()).StateRef);
    }

    [Fact]
    public async Task Evaluate_PastExpiry_Denied()
    {
        await using var h = await KernelHarness.StartAsync();
        await h.SendAsync("core.RegisterActor", null, new RegisterActor("bob", ActorKind.Agent, "Bob"));
        var grant = await h.SendAsync("core.GrantCapability", null, new GrantCapability("bob", NotesReadWrite, ExpiresAt: h.Time.GetUtcNow().AddHours(1)));
        var capability = (await h.Kernel.EventLog.ReadAsync(grant.Position!.Value - 1, 1, CancellationToken.None))[0].Envelope.PayloadAs<CapabilityGranted>().CapabilityId;

        Assert.True(Check(h, capability, "bob", "core.RegisterActor", h.Time.GetUtcNow().AddMinutes(59)).Allowed);
        var expired = Check(h, capability, "bob", "core.RegisterActor", h.Time.GetUtcNow().AddHours(1));
        Assert.False(expired.Allowed);
        Assert.Contains("expired", expired.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delegate_WiderScope_Rejected_NarrowerAccepted()
    {
        await using var h = await KernelHarness.StartAsync();
        var (bob, parent) = await h.AddActorAsync("bob", new CapabilityScope(["pack.notes.*"], ["note-*"], [SafetyClass.Read, SafetyClass.WriteInternal]));
        await h.SendAsync("core.RegisterActor", null, new RegisterActor("agent7", ActorKind.Agent, "Agent 7"));

        var wider = await h.SendAsync(CoreCommands.DelegateCommandType, null, new DelegateCapability(parent, "agent7", new CapabilityScope(["pack.*"], ["note-*"], [SafetyClass.Read])), bob);
        var widerSafety = await h.SendAsync(CoreCommands.DelegateCommandType, null, new DelegateCapability(parent, "agent7", new CapabilityScope(["pack.notes.*"], ["note-*"], [SafetyClass.WriteExternalSideEffect])), bob);
        var narrower = await h.SendAsync(CoreCommands.DelegateCommandType, null, new DelegateCapability(parent, "agent7", new CapabilityScope(["pack.notes.notes.GetNote"], ["note-1*"], [SafetyClass.Read])), bob);

        Assert.Equal("escalation", wider.ReasonCode);
        Assert.Equal("escalation", widerSafety.ReasonCode);
        Assert.True(narrower.IsAccepted, narrower.Reason);
        Assert.Equal(parent, narrower.CapabilityId);
    }

    [Fact]
    public async Task Delegate_ByNonHolder_Rejected()
    {
        await using var h = await KernelHarness.StartAsync();
        var (_, parent) = await h.AddActorAsync("bob", NotesReadWrite);
        var (mallory, _) = await h.AddActorAsync("mallory", new CapabilityScope(["pack.x.y.Z"], ["*"], [SafetyClass.Read]));

        var stolen = await h.SendAsync(CoreCommands.DelegateCommandType, null, new DelegateCapability(parent, "mallory", NotesReadWrite), mallory);

        Assert.Equal("capability_denied", stolen.ReasonCode);
    }

    [Fact]
    public async Task Delegation_InheritsBoundsAndDiesWithParent()
    {
        await using var h = await KernelHarness.StartAsync();
        await h.SendAsync("core.RegisterActor", null, new RegisterActor("bob", ActorKind.Human, "Bob"));
        await h.SendAsync("core.RegisterActor", null, new RegisterActor("agent7", ActorKind.Agent, "Agent 7"));
        var expires = h.Time.GetUtcNow().AddHours(2);
        var grant = await h.SendAsync("core.GrantCapability", null, new GrantCapability("bob", NotesReadWrite, ExpiresAt: expires));
        var parent = grant.EventIds.Count == 1 ? (await h.Kernel.EventLog.ReadAsync(grant.Position!.Value - 1, 1, CancellationToken.None))[0].Envelope.PayloadAs<CapabilityGranted>().CapabilityId : throw new InvalidOperationException();
        var bob = new Commands.CallerContext(new ActorRef("bob", ActorKind.Human), "test");
        await h.RegisterKeyAsync("bob");

        var tooLong = await h.SendAsync(CoreCommands.DelegateCommandType, null, new DelegateCapability(parent, "agent7", NotesReadWrite, ExpiresAt: expires.AddHours(1)), bob);
        var child = await h.SendAsync(CoreCommands.DelegateCommandType, null, new DelegateCapability(parent, "agent7", NotesReadWrite), bob);
        var childGrant = (await h.Kernel.EventLog.ReadAsync(child.Position!.Value - 1, 1, CancellationToken.None))[0].Envelope.PayloadAs<CapabilityGranted>();

        Assert.Equal("escalation", tooLong.ReasonCode);
        Assert.Equal(expires, childGrant.ExpiresAt);
        Assert.True(Check(h, childGrant.CapabilityId, "agent7", "core.RegisterActor", h.Time.GetUtcNow()).Allowed);

        var revoke = await h.SendAsync("core.RevokeCapability", null, new RevokeCapability(parent, "compromised"));
        Assert.True(revoke.IsAccepted, revoke.Reason);
        // The stream's events are stamped strictly after one another, so the revocation may sit a tick after a frozen clock.
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var afterRevoke = Check(h, childGrant.CapabilityId, "agent7", "core.RegisterActor", h.Time.GetUtcNow());
        Assert.False(afterRevoke.Allowed);
        Assert.Contains("parent", afterRevoke.Reason, StringComparison.Ordinal);

        var viaGateway = await h.SendAsync("core.RegisterActor", null, new RegisterActor("eve", ActorKind.Human, "Eve"), new Commands.CallerContext(new ActorRef("agent7", ActorKind.Agent), "test"));
        Assert.Equal("capability_denied", viaGateway.ReasonCode);
    }

    [Fact]
    public async Task Delegation_ParentScopeNarrowedLater_ChildLosesIt()
    {
        await using var h = await KernelHarness.StartAsync();
        var (bob, parent) = await h.AddActorAsync("bob", new CapabilityScope(["core.RegisterActor", "core.IssueApiKey"], ["*"], [SafetyClass.WriteInternal]));
        await h.SendAsync("core.RegisterActor", null, new RegisterActor("agent7", ActorKind.Agent, "Agent 7"));
        var child = await h.SendAsync(CoreCommands.DelegateCommandType, null, new DelegateCapability(parent, "agent7", new CapabilityScope(["core.RegisterActor"], ["*"], [SafetyClass.WriteInternal])), bob);
        var childId = (await h.Kernel.EventLog.ReadAsync(child.Position!.Value - 1, 1, CancellationToken.None))[0].Envelope.PayloadAs<CapabilityGranted>().CapabilityId;

        await h.SendAsync("core.ChangeCapabilityScope", null, new ChangeCapabilityScope(parent, new CapabilityScope(["core.IssueApiKey"], ["*"], [SafetyClass.WriteInternal])));
        h.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(Check(h, childId, "agent7", "core.RegisterActor", h.Time.GetUtcNow()).Allowed);
    }
}

public sealed class CapabilityExpiryTests
{
    [Fact]
    public async Task RecordExpired_AfterExpiry_AppendsOneExpiredEventAtTheExpiryInstant()
    {
        await using var h = await KernelHarness.StartAsync();
        await h.SendAsync("core.RegisterActor", null, new RegisterActor("bob", ActorKind.Human, "Bob"));
        var expires = h.Time.GetUtcNow().AddHours(1);
        await h.SendAsync("core.GrantCapability", null, new GrantCapability("bob", CapabilityScope.All, ExpiresAt: expires));

        var early = await CapabilityExpiry.RecordExpiredAsync(h.Kernel.Writer, "system", CancellationToken.None);
        h.Time.Advance(TimeSpan.FromHours(2));
        var due = await CapabilityExpiry.RecordExpiredAsync(h.Kernel.Writer, "system", CancellationToken.None);
        var again = await CapabilityExpiry.RecordExpiredAsync(h.Kernel.Writer, "system", CancellationToken.None);

        Assert.Equal(0, early);
        Assert.Equal(1, due);
        Assert.Equal(0, again);
        var head = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);
        var expired = (await h.Kernel.EventLog.ReadAsync(head - 1, 1, CancellationToken.None))[0].Envelope;
        Assert.Equal(CoreEventTypes.CapabilityExpired, expired.EventType);
        Assert.Equal(expires, expired.OccurredAt);
    }
}
