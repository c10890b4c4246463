using Ops.Core.Envelopes;
using Ops.Core.Packs;
using Ops.Core.Projections;
using Ops.Testing;

namespace Ops.Core.Tests;

public sealed record Tick(string Name);

public sealed record Ticked(string Name);

public sealed record TickDocument(string Name);

/// <summary>Pack id "flaky": a projection whose fold can be told to throw on one event.</summary>
public sealed class FlakyPack : IOpsPack
{
    public const string TickIndex = "pack.flaky.ticks.TickIndex";

    public void Register(IPackBuilder builder) => builder
        .AddEvent<Ticked>("pack.flaky.ticks.Ticked")
        .AddCommand("pack.flaky.ticks.Tick", SafetyClass.WriteInternal, CommandTarget<Tick>.FromTargetRef("tick-"))
        .AddProjection<TickDocument>(TickIndex, 1);
}

internal sealed class TickHandler : ICommandHandler<Tick>
{
    public ValueTask<Decision> DecideAsync(CommandContext<Tick> context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Decision.Accept(new Ticked(context.Command.Name)).WithPreview(null, new Ticked(context.Command.Name)));
}

internal sealed class TickIndexProjection : IProjection<TickDocument>
{
    /// <summary>The name whose fold throws, while set.</summary>
    public static string? FailOn { get; set; }

    public IReadOnlyCollection<string> EventTypes { get; } = ["pack.flaky.ticks.Ticked"];

    public string? KeyOf(EventEnvelope envelope) => envelope.PayloadAs<Ticked>().Name;

    public TickDocument? Apply(TickDocument? current, EventEnvelope envelope)
    {
        var name = envelope.PayloadAs<Ticked>().Name;
        return name == FailOn ? throw new InvalidOperationException("told to fail on " + name) : new TickDocument(name);
    }
}

[Collection(nameof(FlakyPack))]
public sealed class ProjectionEngineTests
{
    private static CancellationToken Ct => CancellationToken.None;

    [Fact]
    public async Task Rebuild_CutShortAfterAFlush_LeavesNoCheckpointSoTheNextCatchUpRebuilds()
    {
        await using var h = await KernelHarness.StartAsync([new FlakyPack()]);
        foreach (var name in (string[])["a", "b", "c"])
        {
            Assert.True((await h.SendAsync("pack.flaky.ticks.Tick", "tick-" + name, new Tick(name))).IsAccepted);
            h.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var projections = h.Kernel.Projections;
        await projections.CatchUpAsync(null, Ct);
        var whole = await projections.StateHashAsync(FlakyPack.TickIndex, Ct);
        projections.RebuildBufferBytes = 1;
        try
        {
            // Canonical order a, b, c: a is written by a flush of its own, then the fold fails on b.
            TickIndexProjection.FailOn = "b";
            await Assert.ThrowsAsync<ProjectionFailedException>(() => projections.RebuildAsync(FlakyPack.TickIndex, Ct).AsTask());
            TickIndexProjection.FailOn = null;

            Assert.Equal(ProjectionVerificationStatus.NotBuilt, (await projections.VerifyAsync(FlakyPack.TickIndex, Ct)).Status);
            await projections.CatchUpAsync(null, Ct);
            Assert.Equal(whole, await projections.StateHashAsync(FlakyPack.TickIndex, Ct));
        }
        finally
        {
            TickIndexProjection.FailOn = null;
        }
    }
}
