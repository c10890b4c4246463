using Ops.Core.Errors;
using Ops.Core.Packs;
using Ops.TestKit.Echo;
using Ops.TestKit.Echo.Contracts;

namespace Ops.Testing.Tests;

public sealed class PackSpecTests
{
    private static PackSpec Spec() => new PackSpec(new EchoPack(), EchoNames.PackId).As("bob");

    private static Shouted Said(PackSpec spec, string id, string text) => new(id, text, [], new EchoSource(spec.Caller.Id, spec.Scope.TenantId), spec.Time.GetUtcNow());

    [Fact]
    public async Task WhenAsync_AcceptedCommand_ItsEventsJoinTheStreamsForTheNextCommand()
    {
        var spec = Spec();

        var first = await spec.WhenAsync(EchoNames.Shout, null, new Shout("1", "hello"));
        spec.Time.Advance(TimeSpan.FromSeconds(1));
        var second = await spec.WhenAsync(EchoNames.Shout, null, new Shout("1", "again"));

        first.ThenEventsOn(EchoNames.TargetOf("1"), Said(spec, "1", "hello") with { At = spec.Time.GetUtcNow().AddSeconds(-1) });
        second.ThenRejected(EchoNames.EchoExists);
        var e = Assert.Single(spec.Events);
        Assert.Equal(("pack.echo:echo-1", 1L, EchoNames.Shouted), (e.StreamId, e.StreamVersion, e.EventType));
        Assert.Equal("bob", e.Actor.Id);
        Assert.StartsWith("command:", e.SourceRef, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThenEvents_OtherEvents_ThrowsShowingBothAsJson()
    {
        var spec = Spec();
        var outcome = await spec.WhenAsync(EchoNames.Shout, null, new Shout("1", "hello"));
        var wrong = Said(spec, "1", "hello") with { Source = new EchoSource("someone-else", "acme") };

        var failure = Assert.Throws<PackSpecException>(() => outcome.ThenEvents(wrong));

        Assert.Contains("\"actor_id\":\"someone-else\"", failure.Message, StringComparison.Ordinal);
        Assert.Contains("\"actor_id\":\"bob\"", failure.Message, StringComparison.Ordinal);
        outcome.ThenEvents(Said(spec, "1", "hello"));
    }

    [Fact]
    public async Task ThenRejected_AcceptedCommand_ThrowsNamingWhatHappened()
    {
        var outcome = await Spec().WhenAsync(EchoNames.Shout, null, new Shout("1", "hello"));

        var failure = Assert.Throws<PackSpecException>(() => outcome.ThenRejected(EchoNames.EmptyText));

        Assert.Contains("accepted with pack.echo.echoes.Shouted", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThenPreview_ShowsWhatTheSignerWouldSee()
    {
        var outcome = await Spec().WhenAsync(EchoNames.Shout, null, new Shout("1", "hello"));

        outcome.ThenPreview(null, new EchoDocument("1", "hello", "bob"));
        Assert.Throws<PackSpecException>(() => outcome.ThenPreview(null, new EchoDocument("1", "HELLO", "bob")));
    }

    [Fact]
    public async Task WhenAsync_PayloadWithUnknownMember_IsRejectedByTheKernelBeforeTheHandler()
    {
        var spec = Spec();

        var outcome = await spec.WhenAsync(EchoNames.Shout, null, new { echo_id = "1", text = "hello", volume = 11 });

        outcome.ThenRejected(ReasonCodes.InvalidPayload);
        Assert.Null(outcome.Decision);
        Assert.Empty(spec.Events);
    }

    [Fact]
    public async Task WhenAsync_TargetRefThatIsNotThePayloadsObject_IsRejectedByTheKernel()
    {
        (await Spec().WhenAsync(EchoNames.Shout, EchoNames.TargetOf("2"), new Shout("1", "hello"))).ThenRejected(ReasonCodes.TargetMismatch);
    }

    [Fact]
    public async Task WhenAsync_RejectedCommand_AppendsNothing()
    {
        var spec = Spec();

        (await spec.WhenAsync(EchoNames.Shout, null, new Shout("1", " "))).ThenRejected(EchoNames.EmptyText);

        Assert.Empty(spec.Events);
    }

    [Fact]
    public void Given_PayloadThatIsNotARegisteredEvent_Throws()
    {
        var failure = Assert.Throws<ArgumentException>(() => Spec().Given(EchoNames.TargetOf("1"), new Shout("1", "not an event")));

        Assert.Contains("Shout is neither an event type registered by pack 'echo'", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenAsync_HandlerEmitsAnUnregisteredEvent_ThrowsAsTheKernelWouldRefuse()
    {
        var spec = new PackSpec(new LeakyPack(), "leaky");

        var failure = await Assert.ThrowsAsync<PackSpecException>(() => spec.WhenAsync("pack.leaky.things.Poke", null, new Poke("1")));

        Assert.Contains("Unregistered", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_PackRegisteringAnotherPacksName_IsRefusedAsAtLoad()
    {
        var failure = Assert.Throws<PackLoadException>(() => new PackSpec(new SquatterPack(), "squatter"));

        Assert.Contains("pack.notes.notes.Poked", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DocumentsAndQueries_AreScopedToTheCallersTenant()
    {
        var spec = Spec();
        spec.Given(EchoNames.TargetOf("1"), Said(spec, "1", "acme's"));
        spec.As("bob", tenantId: "globex");

        Assert.Null(await spec.DocumentAsync<EchoDocument>(EchoNames.EchoIndex, "1"));
        Assert.Null(await spec.QueryAsync<EchoDocument>(EchoNames.GetEchoRoute, new GetEcho("1")));
        Assert.Equal("acme's", (await spec.As("bob").QueryAsync<EchoDocument>(EchoNames.GetEchoRoute, new GetEcho("1")))?.Text);
        await spec.ThenDocumentAsync(EchoNames.EchoIndex, "1", new EchoDocument("1", "acme's", "bob"));
        await Assert.ThrowsAsync<PackSpecException>(() => spec.ThenDocumentAsync<EchoDocument>(EchoNames.EchoIndex, "1", null));
    }
}
