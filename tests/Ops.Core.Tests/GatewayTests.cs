using System.Text.Json;
using Ops.Core.Capabilities;
using Ops.Core.Commands;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Testing;

namespace Ops.Core.Tests;

public sealed class GatewayTests
{
    private static Task<long> HeadAsync(KernelHarness h) => h.MutationHeadAsync();

    [Fact]
    public async Task Send_SameCommandTwice_ReturnsFirstOutcomeAndAppendsNothing()
    {
        await using var h = await KernelHarness.StartAsync();
        var first = await h.SendAsync("core.RegisterActor", null, new RegisterActor("bob", ActorKind.Human, "Bob"));
        var head = await HeadAsync(h);
        h.Time.Advance(TimeSpan.FromMinutes(5));

        var second = await h.SendAsync("core.RegisterActor", null, new RegisterActor("bob", ActorKind.Human, "Bob"));

        Assert.True(first.IsAccepted);
        Assert.True(second.Replayed);
        Assert.Equal(first.CommandId, second.CommandId);
        Assert.Equal(first.EventIds, second.EventIds);
        Assert.Equal(first.DecidedAt, second.DecidedAt);
        Assert.Equal(head, await HeadAsync(h));
    }

    [Fact]
    public async Task Send_SameIdempotencyKeyDifferentContent_RejectedAsConflict()
    {
        await using var h = await KernelHarness.StartAsync();
        await h.SendAsync("core.RegisterActor", null, new RegisterActor("bob", ActorKind.Human, "Bob"), idempotencyKey: "k1");
        var head = await HeadAsync(h);

        var other = await h.SendAsync("core.RegisterActor", null, new RegisterActor("eve", ActorKind.Human, "Eve"), idempotencyKey: "k1");

        Assert.Equal("command_id_conflict", other.ReasonCode);
        Assert.Equal(head, await HeadAsync(h));
    }

    [Fact]
    public async Task Commit_RejectedByCapability_WritesNothingAndCanBeDecidedLater()
    {
        await using var h = await KernelHarness.StartAsync();
        var (bob, _) = await h.AddActorAsync("bob", new CapabilityScope(["core.IssueApiKey"], ["*"], [SafetyClass.WriteInternal]));
        var head = await HeadAsync(h);

        var first = await h.SendAsync("core.RegisterActor", null, new RegisterActor("eve", ActorKind.Human, "Eve"), bob);
        Assert.Equal(head, await HeadAsync(h));
        await h.SendAsync("core.GrantCapability", null, new GrantCapability("bob", CapabilityScope.All), idempotencyKey: "widen");
        var again = await h.SendAsync("core.RegisterActor", null, new RegisterActor("eve", ActorKind.Human, "Eve"), bob);

        Assert.Equal("capability_denied", first.ReasonCode);
        Assert.True(again.IsAccepted, again.Reason);
        Assert.False(again.Replayed);
    }

    [Fact]
    public async Task Send_WithoutCapability_RejectedAndLogUnchanged()
    {
        await using var h = await KernelHarness.StartAsync();
        var (bob, _) = await h.AddActorAsync("bob", new CapabilityScope(["core.IssueApiKey"], ["*"], [SafetyClass.WriteInternal]));
        var head = await HeadAsync(h);

        var outcome = await h.SendAsync("core.RegisterActor", null, new RegisterActor("eve", ActorKind.Human, "Eve"), bob);

        Assert.Equal("capability_denied", outcome.ReasonCode);
        Assert.Contains("Nothing was appended", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(head, await HeadAsync(h));
    }

    [Fact]
    public async Task Send_AcceptedCommand_EventsNameCapabilityAndStateRef()
    {
        await using var h = await KernelHarness.StartAsync();
        var (bob, capability) = await h.AddActorAsync("bob", new CapabilityScope(["core.RegisterActor"], ["*"], [SafetyClass.WriteInternal]));

        var outcome = await h.SendAsync("core.RegisterActor", null, new RegisterActor("eve", ActorKind.Human, "Eve"), bob);
        var appended = (await h.Kernel.EventLog.ReadAsync(outcome.Position!.Value - 1, 1, CancellationToken.None))[0].Envelope;

        Assert.Equal(capability, outcome.CapabilityId);
        Assert.Equal(capability, appended.CapabilityId);
        Assert.False(string.IsNullOrEmpty(appended.CapabilityStateRef));
        Assert.Equal(outcome.CapabilityStateRef, appended.CapabilityStateRef);
        Assert.Equal(outcome.CommandId, appended.CausationId);
        Assert.Equal(CausationType.Command, appended.CausationType);
        Assert.Equal("bob", appended.Actor.Id);
        Assert.Equal("acme", appended.Scope.TenantId);
    }

    [Theory]
    [InlineData("nonamespace", "invalid_envelope")]
    [InlineData("pack.nothere.things.DoIt", "unknown_command_type")]
    public async Task Send_BadType_RejectedWithReason(string commandType, string reason)
    {
        await using var h = await KernelHarness.StartAsync();
        var head = await HeadAsync(h);

        var outcome = await h.SendAsync(commandType, "x", new { a = 1 });

        Assert.Equal(reason, outcome.ReasonCode);
        Assert.Equal(head, await HeadAsync(h));
    }

    [Fact]
    public async Task Send_PayloadMissingRequiredField_RejectedAsInvalidPayload()
    {
        await using var h = await KernelHarness.StartAsync();

        var outcome = await h.SendAsync("core.RegisterActor", null, new { kind = "human" });

        Assert.Equal("invalid_payload", outcome.ReasonCode);
    }

    [Fact]
    public async Task Send_ClaimedTenantDiffersFromAuthenticated_Rejected()
    {
        await using var h = await KernelHarness.StartAsync();
        var envelope = new CommandEnvelope
        {
            CommandType = "core.RegisterActor",
            TargetRef = "actor-bob",
            Payload = JsonSerializer.SerializeToElement(new RegisterActor("bob", ActorKind.Human, "Bob"), OpsJson.Options),
            Scope = new IdentityScope("other-tenant", "system", null, null),
        };

        var outcome = (await h.Kernel.Gateway.ProposeAsync(envelope, h.AdminCaller, CancellationToken.None)).Rejection!;

        Assert.Equal("identity_mismatch", outcome.ReasonCode);
    }

    [Fact]
    public async Task Send_ClaimedActorDiffersFromAuthenticated_Rejected()
    {
        await using var h = await KernelHarness.StartAsync();
        var envelope = new CommandEnvelope
        {
            CommandType = "core.RegisterActor",
            TargetRef = "actor-bob",
            Payload = JsonSerializer.SerializeToElement(new RegisterActor("bob", ActorKind.Human, "Bob"), OpsJson.Options),
            Actor = new ActorRef("root", ActorKind.Human),
        };

        var outcome = (await h.Kernel.Gateway.ProposeAsync(envelope, h.AdminCaller, CancellationToken.None)).Rejection!;

        Assert.Equal("identity_mismatch", outcome.ReasonCode);
    }

    [Fact]
    public async Task Send_ClientCommandIdNotMatchingContent_Rejected()
    {
        await using var h = await KernelHarness.StartAsync();
        var envelope = new CommandEnvelope
        {
            CommandId = new string('a', 64),
            CommandType = "core.RegisterActor",
            TargetRef = "actor-bob",
            Payload = JsonSerializer.SerializeToElement(new RegisterActor("bob", ActorKind.Human, "Bob"), OpsJson.Options),
        };

        var outcome = (await h.Kernel.Gateway.ProposeAsync(envelope, h.AdminCaller, CancellationToken.None)).Rejection!;

        Assert.Equal("command_id_mismatch", outcome.ReasonCode);
    }

    [Fact]
    public async Task Send_ConcurrentCommands_OneRejectedDoesNotSinkNeighbours()
    {
        await using var h = await KernelHarness.StartAsync();
        var tasks = Enumerable.Range(0, 40)
            .Select(i => h.SendAsync("core.RegisterActor", null, new RegisterActor(i == 17 ? "BAD ID" : "u" + i, ActorKind.Human, "U")))
            .ToList();

        var outcomes = await Task.WhenAll(tasks);

        Assert.Equal(39, outcomes.Count(o => o.IsAccepted));
        Assert.Equal("invalid_actor_id", outcomes[17].ReasonCode);
        Assert.Equal(39, h.Kernel.Writer.CommittedCore.Actors.Count - 1);
        Assert.True((await h.Kernel.EventLog.VerifyAsync(null, CancellationToken.None)).IsValid);
    }

    [Fact]
    public async Task Send_UnregisteredActor_Rejected()
    {
        await using var h = await KernelHarness.StartAsync();

        var outcome = await h.SendAsync("core.RegisterActor", null, new RegisterActor("x", ActorKind.Human, "X"), new CallerContext(new ActorRef("ghost", ActorKind.Human), "test"));

        Assert.Equal("unknown_actor", outcome.ReasonCode);
    }
}

public sealed class StreamOrderTests
{
    [Fact]
    public async Task Send_TwoCommandsOnOneStreamAtTheSameInstant_CanonicalOrderKeepsStreamOrder()
    {
        await using var h = await KernelHarness.StartAsync();
        var (_, capability) = await h.AddActorAsync("bob", CapabilityScope.All);

        // The clock stands still: both changes are decided at the same instant.
        var first = await h.SendAsync("core.ChangeCapabilityScope", null, new ChangeCapabilityScope(capability, new CapabilityScope(["z.*"], ["*"], [SafetyClass.Read])));
        var second = await h.SendAsync("core.ChangeCapabilityScope", null, new ChangeCapabilityScope(capability, new CapabilityScope(["a.*"], ["*"], [SafetyClass.Read])));
        Assert.True(first.IsAccepted && second.IsAccepted);

        var stream = (await h.Kernel.EventLog.ReadStreamAsync(CoreRefs.Stream(CoreRefs.Capability("bob", capability)), CancellationToken.None)).Select(e => e.Envelope).ToList();
        var canonical = new List<string>();
        await foreach (var e in h.Kernel.EventLog.ReadCanonicalAsync(CancellationToken.None))
        {
            if (e.Envelope.StreamId == CoreRefs.Stream(CoreRefs.Capability("bob", capability)))
            {
                canonical.Add(e.Envelope.EventId);
            }
        }

        Assert.Equal(stream.Select(e => e.EventId), canonical);
        Assert.True(stream[2].OccurredAt > stream[1].OccurredAt);
    }
}
