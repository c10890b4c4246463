using Ops.Core.Egress;
using Ops.Core.Envelopes;
using Ops.Core.Storage;
using Ops.Testing;

namespace Ops.Core.Tests.Egress;

/// <summary>
/// Issue 20 item 6: compensation is leased like dispatch. A request that fails for good moves to compensating under the
/// failing worker's lease in the transaction of its failure receipt; a worker that dies before the hook's answer is recorded
/// leaves a lease that ends on the manual clock, and then exactly one other worker compensates it, once.
/// </summary>
public abstract partial class EgressGateTests
{
    [Fact]
    public async Task Issue20Item6_AWorkerThatDiesAfterRecordingFailed_LeavesACompensationLease_TheSweepCompensatesOnceWhenItEnds()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe { Answer = _ => EgressResult.Failed(422, "unprocessable") };
        var row = await SendAsync(h, probe, "m-1");
        await ApproveAsync(h, row);

        // The dead worker claims, calls, and records the failure; it dies before its compensation hook runs.
        var claimed = Assert.Single(await h.Kernel.Egress.ClaimAsync("dead", 16, CancellationToken.None));
        var moved = await h.Kernel.Egress.AcknowledgeAsync(claimed, "dead", EgressResult.Failed(422, "unprocessable"), h.Time.GetUtcNow(), h.Time.GetUtcNow(), CancellationToken.None);
        Assert.Equal("compensating", moved);
        var stored = (await h.Kernel.Egress.Store.FindAsync(row.RequestId, CancellationToken.None))!;
        Assert.Equal(("compensating", "dead"), (stored.Status, stored.LeaseOwner));

        // While the lease holds, nobody compensates it.
        h.Time.Advance(TimeSpan.FromMilliseconds(9_999));
        Assert.Equal(0, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        Assert.Empty(probe.Compensations);

        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        Assert.Equal(0, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        h.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(0, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));

        // The dead worker's late answer is not its to record any more.
        var late = await h.Kernel.Egress.CompensatedAsync(claimed, "compensating", "dead", "kernel", "late", EgressLog.Dispatcher, EgressResult.Executed(204), CancellationToken.None);
        Assert.False(late);
        Assert.Equal([row.RequestId], probe.Compensations);
        Assert.Equal("compensated", (await h.Kernel.Egress.Store.FindAsync(row.RequestId, CancellationToken.None))!.Status);
        var stream = (await h.Kernel.EventLog.ReadStreamAsync(EgressEventTypes.StreamOf(row.RequestId), CancellationToken.None)).Select(e => e.Envelope).ToList();
        var claims = stream.Where(e => e.EventType == EgressEventTypes.CompensationClaimed).Select(e => e.PayloadAs<EgressCompensationClaimed>()).ToList();
        Assert.Equal([(1, "dead"), (2, "w1")], claims.Select(c => (c.Attempt, c.Worker)));
        Assert.Equal(h.Time.GetUtcNow() - TimeSpan.FromSeconds(60) + TimeSpan.FromMilliseconds(10_000), claims[1].LeaseUntil);
        var compensated = Assert.Single(stream, e => e.EventType == EgressEventTypes.Compensated).PayloadAs<EgressCompensated>();
        Assert.Equal(("failed", "kernel"), (compensated.From, compensated.By));
        Assert.Single(stream, e => e.EventType == EgressEventTypes.Failed);
        Assert.Empty((await OutboxIntegrity.VerifyAsync(h.Kernel.EventLog.Store, h.Kernel.Egress.Store, CancellationToken.None)).Findings);
        Assert.True((await h.Kernel.EventLog.VerifyAsync(null, CancellationToken.None)).IsValid);
    }

    [Fact]
    public async Task Issue20Item6_ACompensationThatThrowsOrAsksToRetry_IsClaimedAgainAfterEachLease_ThenFailedAtTheAttemptLimit()
    {
        await using var h = await StartAsync();
        var answers = 0;
        var probe = new RelayProbe
        {
            Answer = _ => EgressResult.Failed(422, "unprocessable"),
            CompensationAnswer = _ => Interlocked.Increment(ref answers) == 1 ? throw new HttpRequestException("reset") : EgressResult.Retry(503, "busy"),
        };
        var row = await SendAsync(h, probe, "m-1");
        await ApproveAsync(h, row);

        Assert.Equal(1, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        Assert.Equal("compensating", (await h.Kernel.Egress.Store.FindAsync(row.RequestId, CancellationToken.None))!.Status);
        for (var attempt = 2; attempt <= 3; attempt++)
        {
            Assert.Equal(0, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
            h.Time.Advance(TimeSpan.FromSeconds(10));
            Assert.Equal(1, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        }

        h.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));

        Assert.Equal(3, probe.Compensations.Count);
        Assert.Equal("failed", (await h.Kernel.Egress.Store.FindAsync(row.RequestId, CancellationToken.None))!.Status);
        var stream = (await h.Kernel.EventLog.ReadStreamAsync(EgressEventTypes.StreamOf(row.RequestId), CancellationToken.None)).Select(e => e.Envelope).ToList();
        Assert.Equal(3, stream.Count(e => e.EventType == EgressEventTypes.CompensationClaimed));
        var gaveUp = Assert.Single(stream, e => e.EventType == EgressEventTypes.CompensationFailed).PayloadAs<EgressCompensationFailed>();
        Assert.Equal((3, 0), (gaveUp.Attempt, gaveUp.StatusCode));
        Assert.DoesNotContain(stream, e => e.EventType == EgressEventTypes.Compensated);
        Assert.Empty((await OutboxIntegrity.VerifyAsync(h.Kernel.EventLog.Store, h.Kernel.Egress.Store, CancellationToken.None)).Findings);

        // Left failed, it is the operator's to undo by hand.
        probe.CompensationAnswer = _ => EgressResult.Executed(204);
        var undo = await h.Kernel.Egress.CheckUndoAsync(row.RequestId, Admin, CancellationToken.None);
        Assert.True((await h.Kernel.EgressDispatcher.UndoAsync(undo, "by hand", Admin, CancellationToken.None)).Succeeded);
        Assert.Equal("compensated", (await h.Kernel.Egress.Store.FindAsync(row.RequestId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task Issue20Item6_ACompensationTheHookGivesUpOn_IsFailedAgainWithARecord_AtOnce()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe { Answer = _ => EgressResult.Failed(422, "unprocessable"), CompensationAnswer = _ => EgressResult.Failed(403, "forbidden") };
        var row = await SendAsync(h, probe, "m-1");
        await ApproveAsync(h, row);

        Assert.Equal(1, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        h.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(0, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));

        Assert.Single(probe.Compensations);
        Assert.Equal("failed", (await h.Kernel.Egress.Store.FindAsync(row.RequestId, CancellationToken.None))!.Status);
        var gaveUp = (await h.Kernel.EventLog.ReadStreamAsync(EgressEventTypes.StreamOf(row.RequestId), CancellationToken.None)).Single(e => e.Envelope.EventType == EgressEventTypes.CompensationFailed).Envelope.PayloadAs<EgressCompensationFailed>();
        Assert.Equal((1, "w1", 403), (gaveUp.Attempt, gaveUp.Worker, gaveUp.StatusCode));
        Assert.Empty((await OutboxIntegrity.VerifyAsync(h.Kernel.EventLog.Store, h.Kernel.Egress.Store, CancellationToken.None)).Findings);
    }

    [Fact]
    public async Task Issue20Item6_ACompensationDueWhileAKillSwitchCoversItsDestination_WaitsForTheRelease()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe { Answer = _ => EgressResult.Failed(422, "unprocessable") };
        var row = await SendAsync(h, probe, "m-1");
        await ApproveAsync(h, row);
        var claimed = Assert.Single(await h.Kernel.Egress.ClaimAsync("dead", 16, CancellationToken.None));
        await h.Kernel.Egress.AcknowledgeAsync(claimed, "dead", EgressResult.Failed(422, "unprocessable"), h.Time.GetUtcNow(), h.Time.GetUtcNow(), CancellationToken.None);

        await h.Kernel.Egress.EngageAsync("destination:relay", "incident", Admin, CancellationToken.None);
        h.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        Assert.Empty(probe.Compensations);
        Assert.Equal("compensating", (await h.Kernel.Egress.Store.FindAsync(row.RequestId, CancellationToken.None))!.Status);

        await h.Kernel.Egress.DisengageAsync("destination:relay", Admin, CancellationToken.None);
        Assert.Equal(1, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        Assert.Equal([row.RequestId], probe.Compensations);
        Assert.Equal("compensated", (await h.Kernel.Egress.Store.FindAsync(row.RequestId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task Issue20Item6_AnExecutedRequestEditedToCompensating_IsHeldNotCompensated_AndLogVerifyNamesIt()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe();
        var row = await SendAsync(h, probe, "m-1");
        await ApproveAsync(h, row);
        Assert.Equal(1, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));

        // The attacker wants an effect undone that nobody asked to undo: the sweep would call the compensation hook.
        await TamperAsync(h, "UPDATE egress_requests SET status = 'compensating', lease_until = 0 WHERE request_id = @id", null, row.RequestId);
        var (findings, _) = await OutboxIntegrity.VerifyAsync(h.Kernel.EventLog.Store, h.Kernel.Egress.Store, CancellationToken.None);
        Assert.Contains("status is compensating", Assert.Single(findings).Message, StringComparison.Ordinal);
        await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None);

        Assert.Empty(probe.Compensations);
        var stored = (await h.Kernel.Egress.Store.FindAsync(row.RequestId, CancellationToken.None))!;
        Assert.Equal("held", stored.Status);
        var held = (await h.Kernel.EventLog.ReadStreamAsync(EgressEventTypes.StreamOf(row.RequestId), CancellationToken.None)).Last().Envelope.PayloadAs<EgressHeld>();
        Assert.Equal(OutboxIntegrity.Holder, held.By);
    }

    [Fact]
    public async Task Issue20Item6_ARequestFailedAtTheAttemptLimitByTheSweep_IsCompensatedInTheSameRound()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe();
        var row = await SendAsync(h, probe, "m-1");
        await ApproveAsync(h, row);

        // Three workers in turn claim it and die; the fourth claim finds the attempt limit (3) reached.
        for (var i = 0; i < 3; i++)
        {
            Assert.Single(await h.Kernel.Egress.ClaimAsync("dead-" + i, 16, CancellationToken.None));
            h.Time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.Equal(1, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));

        Assert.Empty(probe.Calls);
        Assert.Equal([row.RequestId], probe.Compensations);
        var stored = (await h.Kernel.Egress.Store.FindAsync(row.RequestId, CancellationToken.None))!;
        Assert.Equal(("compensated", 3), (stored.Status, stored.Attempts));
        var types = (await h.Kernel.EventLog.ReadStreamAsync(EgressEventTypes.StreamOf(row.RequestId), CancellationToken.None)).Select(e => e.Envelope.EventType).TakeLast(3);
        Assert.Equal([EgressEventTypes.Failed, EgressEventTypes.CompensationClaimed, EgressEventTypes.Compensated], types);
        Assert.Empty((await OutboxIntegrity.VerifyAsync(h.Kernel.EventLog.Store, h.Kernel.Egress.Store, CancellationToken.None)).Findings);
    }
}
