using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Hosting;
using Ops.Core.Packs;
using Ops.Core.Projections;
using Ops.Testing;

namespace Ops.Core.Tests;

public sealed record AddFaulty(string Name);

public sealed record FaultyAdded(string Name);

public sealed record BrittleDocument(string Name);

public sealed record SturdyDocument(string Name);

public sealed record ListBrittle;

public sealed record Explode;

/// <summary>What the faulty pack throws: a type of its own, so a test can tell the pack's exception from the kernel's.</summary>
public sealed class FaultyPackException(string message) : Exception(message);

/// <summary>
/// Pack id "faulty" (issue 16 item 6): a handler that throws on the names "throw" and "json" and emits an event it never
/// registered on "stray", a projection whose fold throws on "poison" beside one that never throws, and a query that throws.
/// </summary>
public sealed class FaultyPack : IOpsPack
{
    public const string Brittle = "pack.faulty.items.Brittle";
    public const string Sturdy = "pack.faulty.items.Sturdy";
    public const string Add = "pack.faulty.items.Add";

    public void Register(IPackBuilder builder) => builder
        .AddEvent<FaultyAdded>("pack.faulty.items.Added")
        .AddCommand(Add, SafetyClass.WriteInternal, CommandTarget<AddFaulty>.FromTargetRef("item-"))
        .AddProjection<BrittleDocument>(Brittle, 1)
        .AddProjection<SturdyDocument>(Sturdy, 1)
        .AddQuery<ListBrittle, IReadOnlyList<BrittleDocument>>("pack.faulty.items.ListBrittle", "brittle")
        .AddQuery<Explode, string>("pack.faulty.items.Explode", "explode");
}

internal sealed class AddFaultyHandler : ICommandHandler<AddFaulty>
{
    public async ValueTask<Decision> DecideAsync(CommandContext<AddFaulty> context, CancellationToken cancellationToken)
    {
        var name = context.Command.Name;
        switch (name)
        {
            case "throw":
                throw new FaultyPackException("secret-ish text the caller must not see");
            case "json":
                throw new JsonException("the pack's own parsing failed");
            case "stray":
                return Decision.Accept(new Ticked("not mine")).WithPreview(null, new FaultyAdded(name));
            case "read":
                // Decides on the brittle projection: a duplicate name is refused.
                if (await context.Projections.GetAsync<BrittleDocument>(FaultyPack.Brittle, name, cancellationToken) is not null)
                {
                    return Decision.Reject("duplicate", "already there");
                }

                break;
        }

        return Decision.Accept(new FaultyAdded(name)).WithPreview(null, new FaultyAdded(name));
    }
}

internal sealed class BrittleProjection : IProjection<BrittleDocument>
{
    /// <summary>Whether the fold throws on "poison"; a test turns it off to play the fixed pack.</summary>
    public static bool Poisoned { get; set; } = true;

    public IReadOnlyCollection<string> EventTypes { get; } = ["pack.faulty.items.Added"];

    public string? KeyOf(EventEnvelope envelope) => envelope.PayloadAs<FaultyAdded>().Name;

    public BrittleDocument? Apply(BrittleDocument? current, EventEnvelope envelope)
    {
        var name = envelope.PayloadAs<FaultyAdded>().Name;
        return Poisoned && name == "poison" ? throw new FaultyPackException("fold of " + name) : new BrittleDocument(name);
    }
}

internal sealed class SturdyProjection : IProjection<SturdyDocument>
{
    public IReadOnlyCollection<string> EventTypes { get; } = ["pack.faulty.items.Added"];

    public string? KeyOf(EventEnvelope envelope) => envelope.PayloadAs<FaultyAdded>().Name;

    public SturdyDocument? Apply(SturdyDocument? current, EventEnvelope envelope) => new(envelope.PayloadAs<FaultyAdded>().Name);
}

internal sealed class ListBrittleHandler : IQueryHandler<ListBrittle, IReadOnlyList<BrittleDocument>>
{
    public async ValueTask<IReadOnlyList<BrittleDocument>> ExecuteAsync(QueryContext<ListBrittle> context, CancellationToken cancellationToken) =>
        await context.Projections.ListAsync<BrittleDocument>(FaultyPack.Brittle, cancellationToken);
}

internal sealed class ExplodeHandler : IQueryHandler<Explode, string>
{
    public ValueTask<string> ExecuteAsync(QueryContext<Explode> context, CancellationToken cancellationToken) =>
        throw new JsonException("a JsonException of the pack's own, not the caller's arguments");
}

/// <summary>
/// Issue 16 item 6, from the hostile (or merely broken) pack's side: whatever its handler, query or fold throws is
/// caught at the kernel's boundary, recorded, answered naming the pack, and changes nothing else.
/// </summary>
[Collection(nameof(FaultyPack))]
public sealed class PackFaultTests
{
    private static CancellationToken Ct => CancellationToken.None;

    [Theory]
    [InlineData("throw")]
    [InlineData("json")]
    [InlineData("stray")]
    public async Task AThrowingHandler_IsRefusedAsAPackFault_NamingThePack_AppendingNothing_AndRecorded(string name)
    {
        await using var h = await KernelHarness.StartAsync([new FaultyPack()]);
        var head = await h.MutationHeadAsync();

        var outcome = await h.SendAsync(FaultyPack.Add, "item-" + name, new AddFaulty(name));

        Assert.Equal(CommandStatus.Rejected, outcome.Status);
        Assert.Equal(ReasonCodes.PackFault, outcome.ReasonCode);
        Assert.Contains("pack 'faulty'", outcome.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-ish", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(head, await h.MutationHeadAsync());
        Assert.Contains(await h.SafetyRecordsAfterAsync(0), r => r.ReasonCode == ReasonCodes.PackFault);

        // The kernel goes on serving the same pack.
        Assert.True((await h.SendAsync(FaultyPack.Add, "item-fine", new AddFaulty("fine"))).IsAccepted);
    }

    [Fact]
    public async Task AThrowingQuery_IsAPackFault_NotTheCallersBadRequest_AndIsRecorded()
    {
        await using var h = await KernelHarness.StartAsync([new FaultyPack()]);

        var refused = await Assert.ThrowsAsync<OpsException>(() => h.QueryAsync<string>("faulty", "explode", new Explode()));

        Assert.Equal(ReasonCodes.PackFault, refused.Code);
        Assert.Contains("pack 'faulty'", refused.Message, StringComparison.Ordinal);
        Assert.Contains(await h.SafetyRecordsAfterAsync(0), r => r.ReasonCode == ReasonCodes.PackFault);
    }

    [Fact]
    public async Task QueryArgumentsThatDoNotFit_AreStillTheCallersBadRequest()
    {
        await using var h = await KernelHarness.StartAsync([new FaultyPack()]);

        var refused = await Assert.ThrowsAsync<OpsException>(() => h.QueryAsync<string>("faulty", "explode", new { unknown = 1 }));

        Assert.Equal(ReasonCodes.BadRequest, refused.Code);
    }

    [Fact]
    public async Task AFoldThatThrows_ParksThatProjectionOnTheRecord_TheOthersGoOn_ReadsAreRefused_AndResumeAfterAFixCatchesUp()
    {
        BrittleProjection.Poisoned = true;
        try
        {
            await using var h = await KernelHarness.StartAsync([new FaultyPack()]);
            foreach (var name in (string[])["a", "poison", "b"])
            {
                Assert.True((await h.SendAsync(FaultyPack.Add, "item-" + name, new AddFaulty(name))).IsAccepted);
            }

            // The catch-up does not throw: the brittle projection is parked, the sturdy one reaches the head.
            await h.Kernel.Projections.CatchUpAsync(null, Ct);
            Assert.Equal(0, await h.Kernel.Projections.LagAsync(FaultyPack.Sturdy, Ct));
            Assert.True(await h.Kernel.Projections.LagAsync(FaultyPack.Brittle, Ct) > 0);

            var admin = new OpsAdministration(h.Kernel);
            var parked = Assert.Single(await admin.ParkedProjectionsAsync(Ct));
            Assert.Equal((FaultyPack.Brittle, "faulty", 1, 1), (parked.Projection, parked.Owner, parked.Version, parked.Attempt));
            Assert.Equal(typeof(FaultyPackException).FullName, parked.ErrorType);
            var poisonEvent = (await h.ReadStreamAsync("faulty", "item-poison"))[0];
            Assert.Equal("pack.faulty.items.Added", parked.EventType);
            var record = Assert.Single(await h.Kernel.EventLog.ReadStreamAsync("core:projection-" + FaultyPack.Brittle, Ct));
            Assert.Equal(ProjectionFaults.Parked, record.Envelope.EventType);
            Assert.Equal(poisonEvent.EventId, record.Envelope.CausationId);
            Assert.Equal(poisonEvent.EventId, (await h.Kernel.EventLog.ReadAsync(parked.Position - 1, 1, Ct))[0].Envelope.EventId);

            // A parked projection is skipped, not retried on every catch-up, and not recorded twice.
            await h.Kernel.Projections.CatchUpAsync(null, Ct);
            Assert.Single(await h.Kernel.EventLog.ReadStreamAsync("core:projection-" + FaultyPack.Brittle, Ct));

            // Its documents stop before the poison: reading it would answer as if that event never happened.
            var refused = await Assert.ThrowsAsync<OpsException>(() => h.QueryAsync<IReadOnlyList<BrittleDocument>>("faulty", "brittle", new ListBrittle()));
            Assert.Equal(ReasonCodes.ProjectionParked, refused.Code);
            Assert.Contains("projections resume " + FaultyPack.Brittle, refused.Message, StringComparison.Ordinal);

            // Resumed before a fix: it throws again and is parked again, as attempt 2.
            var early = await admin.ResumeProjectionAsync(FaultyPack.Brittle, "try again", Ct);
            Assert.NotNull(early.Lifted);
            Assert.Equal(2, early.ParkedAgain?.Attempt);

            // The pack is fixed: resume folds it to the head and reads answer again.
            BrittleProjection.Poisoned = false;
            var fixedResume = await admin.ResumeProjectionAsync(FaultyPack.Brittle, "fixed in 1.0.1", Ct);
            Assert.Null(fixedResume.ParkedAgain);
            Assert.Empty(await admin.ParkedProjectionsAsync(Ct));
            Assert.Equal(0, await h.Kernel.Projections.LagAsync(FaultyPack.Brittle, Ct));
            var documents = await h.QueryAsync<IReadOnlyList<BrittleDocument>>("faulty", "brittle", new ListBrittle());
            Assert.Equal(["a", "b", "poison"], documents!.Select(d => d.Name).Order(StringComparer.Ordinal));
        }
        finally
        {
            BrittleProjection.Poisoned = true;
        }
    }

    [Fact]
    public async Task AParkedProjection_ReadByACommandHandler_RefusesTheCommand_NotDecidingOnStaleDocuments()
    {
        BrittleProjection.Poisoned = true;
        await using var h = await KernelHarness.StartAsync([new FaultyPack()]);
        Assert.True((await h.SendAsync(FaultyPack.Add, "item-poison", new AddFaulty("poison"))).IsAccepted);
        await h.Kernel.Projections.CatchUpAsync(null, Ct);
        var head = await h.MutationHeadAsync();

        var outcome = await h.SendAsync(FaultyPack.Add, "item-read", new AddFaulty("read"));

        Assert.Equal(ReasonCodes.ProjectionParked, outcome.ReasonCode);
        Assert.Equal(head, await h.MutationHeadAsync());

        // A command that reads no projection still goes through: the park stops reads, not the pack.
        Assert.True((await h.SendAsync(FaultyPack.Add, "item-other", new AddFaulty("other"))).IsAccepted);
    }
}
