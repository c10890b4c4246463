using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.TestKit.Echo.Contracts;

namespace Ops.Testing.Tests;

public sealed class CommandContextsTests
{
    [Fact]
    public async Task Create_Defaults_BindsAsTheKernelWouldWithoutAnIdempotencyKey()
    {
        var command = new Shout("1", "hello");

        var context = CommandContexts.Create(EchoNames.Shout, EchoNames.TargetOf("1"), command);

        var payload = JsonSerializer.SerializeToElement(command, OpsJson.Options);
        Assert.Equal(DeterministicIds.CommandId("acme", "alice", EchoNames.Shout, EchoNames.TargetOf("1"), payload, null), context.CommandId);
        Assert.Equal(context.CommandId, context.Envelope.CommandId);
        Assert.Equal(EchoNames.TargetOf("1"), context.TargetRef);
        Assert.Equal(new ActorRef("alice", ActorKind.Human), context.Actor);
        Assert.Equal(new IdentityScope("acme", "system", "alice", "test"), context.Scope);
        Assert.Equal(new ManualTimeProvider().GetUtcNow(), context.Now);
        Assert.Same(command, context.Command);
        Assert.Empty(await context.Streams.ReadStreamAsync("echo-x", CancellationToken.None));
        Assert.Null(await context.Projections.GetAsync<EchoDocument>(EchoNames.EchoIndex, "x", CancellationToken.None));
    }

    [Fact]
    public void Create_GivenActorScopeAndTime_UsesThem()
    {
        var at = new DateTimeOffset(2027, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var agent = new ActorRef("helper", ActorKind.Agent);
        var scope = new IdentityScope("globex", "system", "carol", "api", ProjectId: "p-1");

        var context = CommandContexts.Create(EchoNames.Shout, EchoNames.TargetOf("1"), new Shout("1", "hello"), at, agent, scope);

        Assert.Equal(at, context.Now);
        Assert.Equal(agent, context.Actor);
        Assert.Equal(scope, context.Scope);
    }
}
