using Ops.Core.Capabilities;
using Ops.Core.Consent;
using Ops.Core.Egress;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Identity;
using Ops.Core.Storage;
using Ops.Testing;
using Ops.TestSupport;

namespace Ops.Core.Tests.Egress;

/// <summary>
/// The egress path of issue 10 items 1–2: enqueue in the commit's transaction, the gate (signature or policy approval,
/// holds, kill switches, quotas), claims with leases, acknowledgements by the lease holder only, receipts, compensation.
/// Attacker-side cases first. The dispatcher is driven round by round on the harness's manual clock. One suite, run
/// unchanged on every engine (<see cref="EgressGateSqliteTests"/>, <see cref="EgressGatePostgresTests"/>).
/// </summary>
public abstract partial class EgressGateTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Ops:Egress:LeaseMs"] = "10000",
        ["Ops:Egress:RetryBackoffMs"] = "1000",
        ["Ops:Egress:MaxAttempts"] = "3",
        ["Ops:Egress:WorkerId"] = "w1",
    };

    private static ActorRef Admin => new("admin", ActorKind.Human);

    [Fact]
    public async Task Commit_NothingGoesOut_UntilTheRequestIsApproved()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe();

        var row = await SendAsync(h, probe, "m-1");

        Assert.Equal("pending", row.Status);
        Assert.Equal(0, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        Assert.Empty(probe.Calls);
        var events = await h.Kernel.EventLog.ReadStreamAsync(EgressEventTypes.StreamOf(row.RequestId), CancellationToken.None);
        var requested = Assert.Single(events).Envelope;
        Assert.Equal(EgressEventTypes.Requested, requested.EventType);
        Assert.Equal(row.RequestHash, requested.PayloadAs<EgressRequested>().RequestHash);
        Assert.Equal(DeterministicIds.Derive("egress", "relay", "acme", row.RequestId), row.IdempotencyKey);
    }

    [Fact]
    public async Task Approve_SignatureOverAnotherRequestsHash_ReusedSignature_OrNoCapability_AreRefused_AndNothingMoves()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe();
        var a = await SendAsync(h, probe, "m-1");
        var b = await SendAsync(h, probe, "m-2");
        var (bob, _) = await h.AddActorAsync("bob", new CapabilityScope(["pack.relay.*"], ["*"], [SafetyClass.WriteInternal, SafetyClass.WriteExternalSideEffect]));

        var wrongHash = EgressApproval.Sign(h.KeyOf("admin"), "admin", a.RequestId, b.RequestHash, h.Time.GetUtcNow(), TimeSpan.FromMinutes(5));
        var refused = await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.ApproveAsync(a.RequestId, wrongHash, Admin, CancellationToken.None));
        Assert.Equal(ReasonCodes.SignatureInvalid, refused.Code);

        var byBob = EgressApproval.Sign(h.KeyOf("bob"), "bob", a.RequestId, a.RequestHash, h.Time.GetUtcNow(), TimeSpan.FromMinutes(5));
        Assert.Equal(ReasonCodes.CapabilityDenied, (await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.ApproveAsync(a.RequestId, byBob, bob.Actor, CancellationToken.None))).Code);

        var good = EgressApproval.Sign(h.KeyOf("admin"), "admin", a.RequestId, a.RequestHash, h.Time.GetUtcNow(), TimeSpan.FromMinutes(5));
        await h.Kernel.Egress.ApproveAsync(a.RequestId, good, Admin, CancellationToken.None);
        var replayOnB = await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.ApproveAsync(b.RequestId, good, Admin, CancellationToken.None));
        Assert.Equal(ReasonCodes.SignatureInvalid, replayOnB.Code);
        var twice = await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.ApproveAsync(a.RequestId, EgressApproval.Sign(h.KeyOf("admin"), "admin", a.RequestId, a.RequestHash, h.Time.GetUtcNow(), TimeSpan.FromMinutes(5)), Admin, CancellationToken.None));
        Assert.Equal(ReasonCodes.EgressStateConflict, twice.Code);

        Assert.Equal("pending", (await h.Kernel.Egress.Store.FindAsync(b.RequestId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task AnotherTenantsOperator_WithEveryEgressCapability_CannotApproveRejectHoldOrUndo_AndNothingMoves()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe();
        var pending = await SendAsync(h, probe, "m-1");
        var approved = await SendAsync(h, probe, "m-2");
        await ApproveAsync(h, approved);
        var (gus, _) = await h.AddActorAsync("gus", new CapabilityScope(["core.ApproveEgress", "core.OperateEgress"], ["egress:*"], [SafetyClass.WriteInternal]), tenantId: "globex");
        // Past the grant's instant, so the capability is in force and only the tenant stands in the way.
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var signature = EgressApproval.Sign(h.KeyOf("gus"), "gus", pending.RequestId, pending.RequestHash, h.Time.GetUtcNow(), TimeSpan.FromMinutes(5));

        Assert.Equal(ReasonCodes.CapabilityDenied, (await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.ApproveAsync(pending.RequestId, signature, gus.Actor, CancellationToken.None))).Code);
        Assert.Equal(ReasonCodes.CapabilityDenied, (await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.RejectAsync(pending.RequestId, "mine now", gus.Actor, CancellationToken.None))).Code);
        Assert.Equal(ReasonCodes.CapabilityDenied, (await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.HoldAsync(approved.RequestId, "mine now", gus.Actor, CancellationToken.None))).Code);
        await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None);
        Assert.Equal(ReasonCodes.CapabilityDenied, (await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.CheckUndoAsync(approved.RequestId, gus.Actor, CancellationToken.None))).Code);

        Assert.Equal(("pending", "executed"), ((await h.Kernel.Egress.Store.FindAsync(pending.RequestId, CancellationToken.None))!.Status, (await h.Kernel.Egress.Store.FindAsync(approved.RequestId, CancellationToken.None))!.Status));
        Assert.Empty(probe.Compensations);
    }

    [Fact]
    public async Task Approved_IsDispatchedOnce_WithItsIdempotencyKey_AndTheReceiptNamesApproverHashStatusAndTimings()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe();
        var row = await SendAsync(h, probe, "m-1");
        await ApproveAsync(h, row);

        Assert.Equal(1, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        Assert.Equal(0, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));

        Assert.Equal([(row.RequestId, row.IdempotencyKey, 1)], probe.Calls);
        Assert.Equal("executed", (await h.Kernel.Egress.Store.FindAsync(row.RequestId, CancellationToken.None))!.Status);
        var receipt = (await ReceiptsAsync(h, row, EgressEventTypes.Executed)).Single();
        Assert.Equal(("admin", h.KeyOf("admin") is { } key ? ConsentSigning.KeyId(key.ExportSubjectPublicKeyInfo()) : null, (string?)null), (receipt.ApprovedBy, receipt.ApproverKeyId, receipt.PolicyId));
        Assert.Equal((row.RequestHash, 201, 1, "w1", row.IdempotencyKey), (receipt.RequestHash, receipt.StatusCode, receipt.Attempt, receipt.Worker, receipt.IdempotencyKey));
        Assert.True(receipt.FinishedAt >= receipt.StartedAt);
        Assert.True((await h.Kernel.EventLog.VerifyAsync(null, CancellationToken.None)).IsValid);
    }

    [Fact]
    public async Task Approve_ByAnActivePolicy_RecordsPolicyIdAndVersionInTheReceipt_ADraftPolicyIsRefused()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe();
        var row = await SendAsync(h, probe, "m-1");
        var created = await h.SendAsync("core.CreatePolicy", null, new CreatePolicy("relay-auto", new PolicyScope(["pack.relay.*"], ["egress:relay"], ["admin"])));
        var policy = (await h.Kernel.EventLog.ReadAsync(created.Position!.Value - 1, 1, CancellationToken.None))[0].Envelope.PayloadAs<PolicyCreated>();
        var byPolicy = new ConsentGrant(ConsentKind.Policy, PolicyId: policy.PolicyId, PolicyVersion: 1);

        Assert.Equal(ReasonCodes.PolicyNotApplicable, (await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.ApproveAsync(row.RequestId, byPolicy, Admin, CancellationToken.None))).Code);
        Assert.True((await h.SendAsync("core.ActivatePolicy", null, new ActivatePolicy(policy.PolicyId, 1))).IsAccepted);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        await h.Kernel.Egress.ApproveAsync(row.RequestId, byPolicy, Admin, CancellationToken.None);
        await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None);

        var receipt = (await ReceiptsAsync(h, row, EgressEventTypes.Executed)).Single();
        Assert.Equal(((string?)null, policy.PolicyId, (int?)1), (receipt.ApprovedBy, receipt.PolicyId, receipt.PolicyVersion));
    }

    [Fact]
    public async Task KillSwitch_HoldsEveryCoveredRequest_NoDispatchAfterTheEngageEvent_ReleaseBringsThemBack()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe();
        var rows = new List<EgressRow>();
        for (var i = 0; i < 6; i++)
        {
            rows.Add(await SendAsync(h, probe, "m-" + i));
        }

        foreach (var row in rows.Take(4))
        {
            await ApproveAsync(h, row);
        }

        var operatorHeld = await h.Kernel.Egress.HoldAsync(rows[5].RequestId, "check the text", Admin, CancellationToken.None);
        Assert.Equal(5, await h.Kernel.Egress.EngageAsync("destination:relay", "incident", Admin, CancellationToken.None));
        var engagedAt = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);
        Assert.Equal(0, await h.Kernel.Egress.EngageAsync("destination:relay", "again", Admin, CancellationToken.None));

        Assert.Equal(0, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        Assert.Empty(probe.Calls);
        Assert.Equal(6, (await h.Kernel.Egress.Store.ListAsync("held", 100, CancellationToken.None)).Count);
        var refused = await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.ReleaseAsync(rows[0].RequestId, "try", Admin, CancellationToken.None));
        Assert.Equal(ReasonCodes.EgressSwitchEngaged, refused.Code);
        Assert.Empty(await DispatchedAfterAsync(h, engagedAt));

        Assert.Equal(5, await h.Kernel.Egress.DisengageAsync("destination:relay", Admin, CancellationToken.None));
        Assert.Equal(4, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        Assert.Equal(("held", "pending"), ((await h.Kernel.Egress.Store.FindAsync(operatorHeld.RequestId, CancellationToken.None))!.Status, (await h.Kernel.Egress.Store.FindAsync(rows[4].RequestId, CancellationToken.None))!.Status));
        Assert.Equal(ReasonCodes.BadRequest, (await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.EngageAsync("everything", "x", Admin, CancellationToken.None))).Code);
    }

    [Fact]
    public async Task KillSwitch_EngagedWhile16DispatchersRun_NoDispatchedEventFollowsTheEngageEvent()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe();
        await EnqueueApprovedAsync(h, probe, 1_000);
        using var stop = new CancellationTokenSource();
        var dispatchers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None);
            }
        })).ToList();
        while (probe.Calls.Count < 50)
        {
            await Task.Yield();
        }

        await h.Kernel.Egress.EngageAsync("global", "incident", Admin, CancellationToken.None);
        var engagedAt = (await h.Kernel.EventLog.ReadStreamAsync(EgressEventTypes.SwitchStream, CancellationToken.None)).Single().Position;
        for (var i = 0; i < 20; i++)
        {
            await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None);
        }

        await stop.CancelAsync();
        await Task.WhenAll(dispatchers);

        Assert.Empty(await DispatchedAfterAsync(h, engagedAt));
        var all = await h.Kernel.Egress.Store.ListAsync(null, 10_000, CancellationToken.None);
        Assert.Equal(1_000, all.Count);
        Assert.All(all, r => Assert.Contains(r.Status, new[] { "executed", "held" }));
        Assert.True(all.Count(r => r.Status == "held") > 0);
    }

    [Fact]
    public async Task Quota_OfQ_With16ConcurrentDispatchers_ExecutesAtMostQPerWindow()
    {
        const int q = 7;
        await using var h = await StartAsync(new() { ["Ops:Egress:Destinations:relay:Quota"] = q.ToString(System.Globalization.CultureInfo.InvariantCulture), ["Ops:Egress:Destinations:relay:QuotaWindowMs"] = "60000" });
        var probe = new RelayProbe();
        await EnqueueApprovedAsync(h, probe, 40);

        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None))));
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None))));
        Assert.Equal(q, probe.Calls.Count);
        Assert.Equal(q, (await h.Kernel.Egress.Store.ListAsync("executed", 100, CancellationToken.None)).Count);

        h.Time.Advance(TimeSpan.FromSeconds(60));
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None))));
        Assert.Equal(2 * q, probe.Calls.Count);
    }

    [Fact]
    public async Task AFailedRequest_ShowsWhatTheDestinationAnswered()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe { Answer = _ => new EgressResult(EgressOutcome.Failed, 422, "label does not exist") };
        var row = await SendAsync(h, probe, "m-1");
        await ApproveAsync(h, row);
        Assert.Null((await h.Kernel.Operations.GetAsync(row.RequestId, Admin, CancellationToken.None))!.LastResult);

        await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None);

        var shown = (await h.Kernel.Operations.GetAsync(row.RequestId, Admin, CancellationToken.None))!.LastResult;
        Assert.Equal((EgressEventTypes.Failed, 422, "label does not exist"), (shown!.EventType, shown.StatusCode, shown.Detail));
    }

    [Fact]
    public async Task TenantQuota_OneTenantSpendingItsShare_DoesNotSpendAnotherTenants()
    {
        await using var h = await StartAsync(new() { ["Ops:Egress:Destinations:relay:Quota"] = "10", ["Ops:Egress:Destinations:relay:TenantQuota"] = "2" });
        var probe = new RelayProbe();
        var (gus, _) = await h.AddActorAsync("gus", new CapabilityScope(["pack.relay.*", "core.ApproveEgress"], ["*"], [SafetyClass.WriteInternal, SafetyClass.WriteExternalSideEffect]), tenantId: "globex");
        h.Time.Advance(TimeSpan.FromSeconds(1));

        // The noisy tenant (acme, the admin's) queues five requests first; globex's one comes after all of them.
        var acme = new List<EgressRow>();
        for (var i = 0; i < 5; i++)
        {
            acme.Add(await SendAsync(h, probe, "a-" + i));
            await ApproveAsync(h, acme[^1]);
            h.Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        var outcome = await h.SendAsync("pack.relay.messages.Send", "message-g-0", new SendMessage(probe.Id, "g-0", "hello from globex"), gus);
        Assert.True(outcome.IsAccepted, outcome.Reason);
        var globex = (await h.Kernel.Egress.Store.FindAsync(DeterministicIds.Derive("egress-request", outcome.CommandId), CancellationToken.None))!;
        await h.Kernel.Egress.ApproveAsync(globex.RequestId, EgressApproval.Sign(h.KeyOf("gus"), "gus", globex.RequestId, globex.RequestHash, h.Time.GetUtcNow(), TimeSpan.FromMinutes(5)), gus.Actor, CancellationToken.None);

        await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None);
        await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None);

        // Acme gets its two of the window, globex its one; acme's other three wait, approved, for the next window.
        Assert.Equal(3, probe.Calls.Count);
        Assert.Contains(globex.RequestId, probe.Calls.Select(c => c.RequestId));
        Assert.Equal(2, probe.Calls.Count(c => acme.Any(a => a.RequestId == c.RequestId)));
        foreach (var waiting in acme.Skip(2))
        {
            Assert.Equal("approved", (await h.Kernel.Egress.Store.FindAsync(waiting.RequestId, CancellationToken.None))!.Status);
        }

        h.Time.Advance(TimeSpan.FromSeconds(60));
        await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None);
        Assert.Equal(4, probe.Calls.Count(c => acme.Any(a => a.RequestId == c.RequestId)));
    }

    [Fact]
    public async Task Quota_ADestinationStuckOnItsQuota_DoesNotHoldBackAnotherDestinationsClaims()
    {
        await using var h = await StartAsync(new() { ["Ops:Egress:Destinations:relay:Quota"] = "1", ["Ops:Egress:BatchSize"] = "2" });
        var probe = new RelayProbe();
        var relay = new List<EgressRow>();
        for (var i = 0; i < 4; i++)
        {
            relay.Add(await SendAsync(h, probe, "m-" + i));
            await ApproveAsync(h, relay[^1]);
            h.Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        var outcome = await h.SendAsync("pack.relay.messages.SendElsewhere", "message-other", new SendElsewhere(probe.Id, "other", "hi"));
        Assert.True(outcome.IsAccepted, outcome.Reason);
        var other = (await h.Kernel.Egress.Store.FindAsync(DeterministicIds.Derive("egress-request", outcome.CommandId), CancellationToken.None))!;
        await ApproveAsync(h, other);

        // Round 1 takes relay's one dispatch of the window; then the oldest claimable requests are all relay's, over quota.
        Assert.Equal(1, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        Assert.Equal(1, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));

        Assert.Equal([relay[0].RequestId, other.RequestId], probe.Calls.Select(c => c.RequestId));
        Assert.Equal("relay2", other.Destination);
        foreach (var waiting in relay.Skip(1))
        {
            Assert.Equal("approved", (await h.Kernel.Egress.Store.FindAsync(waiting.RequestId, CancellationToken.None))!.Status);
        }
    }

    [Fact]
    public async Task AWorkerThatDiesAfterItsClaim_IsReplacedAfterTheLease_WithTheSameKey_AndItsLateAckIsIgnored()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe();
        var row = await SendAsync(h, probe, "m-1");
        await ApproveAsync(h, row);

        var claimedByDead = Assert.Single(await h.Kernel.Egress.ClaimAsync("dead", 16, CancellationToken.None));
        Assert.Equal(0, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        h.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        var lateAck = await h.Kernel.Egress.AcknowledgeAsync(claimedByDead, "dead", EgressResult.Failed(500, "late"), h.Time.GetUtcNow(), h.Time.GetUtcNow(), CancellationToken.None);

        Assert.Null(lateAck);
        Assert.Equal([(row.RequestId, row.IdempotencyKey, 2)], probe.Calls);
        var stored = await h.Kernel.Egress.Store.FindAsync(row.RequestId, CancellationToken.None);
        Assert.Equal(("executed", 2), (stored!.Status, stored.Attempts));
        Assert.Single(await ReceiptsAsync(h, row, EgressEventTypes.Executed));
        Assert.Empty(await ReceiptsAsync(h, row, EgressEventTypes.Failed));
    }

    [Fact]
    public async Task Retry_WaitsForItsBackoff_ThenFailsAtTheAttemptLimit_WithAReceipt_AndTheCompensationHookRuns()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe { Answer = _ => EgressResult.Retry(503, "busy") };
        var row = await SendAsync(h, probe, "m-1");
        await ApproveAsync(h, row);

        Assert.Equal(1, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        Assert.Equal(0, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));

        Assert.Equal([1, 2, 3], probe.Calls.Select(c => c.Attempt));
        Assert.All(probe.Calls, c => Assert.Equal(row.IdempotencyKey, c.Key));
        var failed = (await ReceiptsAsync(h, row, EgressEventTypes.Failed)).Single();
        Assert.Equal((503, 3), (failed.StatusCode, failed.Attempt));
        Assert.Equal([row.RequestId], probe.Compensations);
        Assert.Equal("compensated", (await h.Kernel.Egress.Store.FindAsync(row.RequestId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task Reject_Hold_Release_AndUndo_MoveOnlyFromTheirStatuses()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe();
        var rejected = await SendAsync(h, probe, "m-1");
        var undone = await SendAsync(h, probe, "m-2");

        await h.Kernel.Egress.HoldAsync(rejected.RequestId, "looks wrong", Admin, CancellationToken.None);
        await h.Kernel.Egress.RejectAsync(rejected.RequestId, "wrong recipient", Admin, CancellationToken.None);
        Assert.Equal(ReasonCodes.EgressStateConflict, (await Assert.ThrowsAsync<OpsException>(() => ApproveAsync(h, rejected))).Code);
        Assert.Equal(ReasonCodes.EgressStateConflict, (await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.ReleaseAsync(rejected.RequestId, "try", Admin, CancellationToken.None))).Code);
        Assert.Equal(ReasonCodes.NotFound, (await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.HoldAsync(new string('0', 64), "x", Admin, CancellationToken.None))).Code);
        Assert.Equal(ReasonCodes.EgressStateConflict, (await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.CheckUndoAsync(undone.RequestId, Admin, CancellationToken.None))).Code);

        await ApproveAsync(h, undone);
        await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None);
        var row = await h.Kernel.Egress.CheckUndoAsync(undone.RequestId, Admin, CancellationToken.None);
        Assert.True((await h.Kernel.EgressDispatcher.UndoAsync(row, "customer asked", Admin, CancellationToken.None)).Succeeded);

        Assert.Equal([undone.RequestId], probe.Compensations);
        Assert.Equal(("rejected", "compensated"), ((await h.Kernel.Egress.Store.FindAsync(rejected.RequestId, CancellationToken.None))!.Status, (await h.Kernel.Egress.Store.FindAsync(undone.RequestId, CancellationToken.None))!.Status));
        Assert.DoesNotContain(probe.Calls, c => c.RequestId == rejected.RequestId);
    }

    [Fact]
    public async Task RequestBodyEditedWhileAKillSwitchHoldsIt_IsHeldNotSent_AndLogVerifyNamesTheRow()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe();
        var row = await SendAsync(h, probe, "m-1");
        await ApproveAsync(h, row);
        await h.Kernel.Egress.EngageAsync("destination:relay", "incident", Admin, CancellationToken.None);

        // The attacker edits the approved request's stored bytes (another message id and text) behind the kernel's back.
        var forged = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(row.Request).Replace("m-1", "m-9", StringComparison.Ordinal));
        await TamperAsync(h, "UPDATE egress_requests SET request = @v WHERE request_id = @id", forged, row.RequestId);
        Assert.Equal(1, await h.Kernel.Egress.DisengageAsync("destination:relay", Admin, CancellationToken.None));
        await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None);

        Assert.Empty(probe.Calls);
        var stored = (await h.Kernel.Egress.Store.FindAsync(row.RequestId, CancellationToken.None))!;
        Assert.Equal(("held", "pending"), (stored.Status, stored.HeldFrom));
        var held = (await h.Kernel.EventLog.ReadStreamAsync(EgressEventTypes.StreamOf(row.RequestId), CancellationToken.None)).Last().Envelope.PayloadAs<EgressHeld>();
        Assert.Equal(OutboxIntegrity.Holder, held.By);
        var (findings, _) = await OutboxIntegrity.VerifyAsync(h.Kernel.EventLog.Store, h.Kernel.Egress.Store, CancellationToken.None);
        var finding = Assert.Single(findings);
        Assert.Equal("outbox_altered", finding.Code);
        Assert.Contains(row.RequestId[..12], finding.Message, StringComparison.Ordinal);
        Assert.NotNull(finding.Position);
        // The edited row cannot be released (nor approved again); an operator can reject it, and it never goes out.
        Assert.Equal(ReasonCodes.OutboxAltered, (await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.ReleaseAsync(row.RequestId, "looks fine", Admin, CancellationToken.None))).Code);
        await h.Kernel.Egress.RejectAsync(row.RequestId, "edited in the database", Admin, CancellationToken.None);
        Assert.Empty(probe.Calls);
    }

    [Fact]
    public async Task StatusEditedFromPendingToApproved_IsHeldNotSent_AndOnlyAFreshApprovalSendsIt()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe();
        var row = await SendAsync(h, probe, "m-1");

        await TamperAsync(h, "UPDATE egress_requests SET status = 'approved' WHERE request_id = @id", null, row.RequestId);
        var (before, _) = await OutboxIntegrity.VerifyAsync(h.Kernel.EventLog.Store, h.Kernel.Egress.Store, CancellationToken.None);
        Assert.Contains("status is approved", Assert.Single(before).Message, StringComparison.Ordinal);
        Assert.Equal(0, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        Assert.Empty(probe.Calls);

        await h.Kernel.Egress.ReleaseAsync(row.RequestId, "looked at it", Admin, CancellationToken.None);
        Assert.Equal("pending", (await h.Kernel.Egress.Store.FindAsync(row.RequestId, CancellationToken.None))!.Status);
        await ApproveAsync(h, row);
        Assert.Equal(1, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        Assert.Single(probe.Calls);
        Assert.Empty((await OutboxIntegrity.VerifyAsync(h.Kernel.EventLog.Store, h.Kernel.Egress.Store, CancellationToken.None)).Findings);
    }

    [Fact]
    public async Task DeletedAndInsertedOutboxRows_AreNamedByLogVerify()
    {
        await using var h = await StartAsync();
        var probe = new RelayProbe();
        var deleted = await SendAsync(h, probe, "m-1");
        var kept = await SendAsync(h, probe, "m-2");

        await TamperAsync(h, "DELETE FROM egress_requests WHERE request_id = @id", null, deleted.RequestId);
        await TamperAsync(h, "INSERT INTO egress_requests (request_id, tenant_id, pack_id, destination, command_type, command_id, idempotency_key, request_hash, request, status, held_from, attempts, lease_owner, lease_until, created_at, updated_at, dispatched_at) " +
            "SELECT @id, tenant_id, pack_id, destination, command_type, command_id, 'k' || idempotency_key, request_hash, request, 'approved', held_from, attempts, lease_owner, lease_until, created_at, updated_at, dispatched_at FROM egress_requests WHERE request_id = '" + kept.RequestId + "'", null, new string('f', 64));

        var (findings, _) = await OutboxIntegrity.VerifyAsync(h.Kernel.EventLog.Store, h.Kernel.Egress.Store, CancellationToken.None);
        Assert.Equal(2, findings.Count);
        Assert.Contains(findings, f => f.Message.Contains(deleted.RequestId[..12], StringComparison.Ordinal) && f.Message.Contains("deleted", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Message.Contains("ffffffffffff", StringComparison.Ordinal) && f.Message.Contains("never enqueued", StringComparison.Ordinal));
        await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None);
        Assert.Empty(probe.Calls);
    }

    [Fact]
    public async Task SeparationOfDuties_TheRequesterCannotApprove_NoOneApprovesTwice_AndTheReceiptListsEveryApprover()
    {
        await using var h = await StartAsync(new Dictionary<string, string?>
        {
            ["Ops:Egress:Destinations:relay:ApprovalsRequired"] = "2",
            ["Ops:Egress:Destinations:relay:RequesterMayApprove"] = "false",
        });
        var probe = new RelayProbe();
        var approvers = new CapabilityScope(["core.ApproveEgress"], ["egress:relay"], [SafetyClass.WriteInternal]);
        var (bob, _) = await h.AddActorAsync("bob", approvers);
        var (carol, _) = await h.AddActorAsync("carol", approvers);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var row = await SendAsync(h, probe, "m-1");
        ConsentGrant By(string actor) => EgressApproval.Sign(h.KeyOf(actor), actor, row.RequestId, row.RequestHash, h.Time.GetUtcNow(), TimeSpan.FromMinutes(5));

        Assert.Equal(ReasonCodes.SeparationOfDuties, (await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.ApproveAsync(row.RequestId, By("admin"), Admin, CancellationToken.None))).Code);
        Assert.Equal("pending", (await h.Kernel.Egress.ApproveAsync(row.RequestId, By("bob"), bob.Actor, CancellationToken.None)).Status);
        Assert.Equal(0, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        Assert.Equal(ReasonCodes.SeparationOfDuties, (await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Egress.ApproveAsync(row.RequestId, By("bob"), bob.Actor, CancellationToken.None))).Code);
        Assert.Equal("approved", (await h.Kernel.Egress.ApproveAsync(row.RequestId, By("carol"), carol.Actor, CancellationToken.None)).Status);
        Assert.Equal(1, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));

        var receipt = (await ReceiptsAsync(h, row, EgressEventTypes.Executed)).Single();
        Assert.Equal(["bob", "carol"], receipt.Approvers!);
        Assert.Empty((await OutboxIntegrity.VerifyAsync(h.Kernel.EventLog.Store, h.Kernel.Egress.Store, CancellationToken.None)).Findings);
    }

    /// <summary>The routes of a fresh database on this suite's engine (none for the harness's SQLite default).</summary>
    protected abstract Task<Dictionary<string, string?>> RoutesAsync();

    /// <summary>Runs <paramref name="sql"/> on the harness's database behind the kernel's back: <c>@v</c> is <paramref name="value"/>, <c>@id</c> is <paramref name="id"/>.</summary>
    protected abstract Task TamperAsync(KernelHarness h, string sql, object? value, string id);

    private async Task<KernelHarness> StartAsync(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>(Settings);
        foreach (var (k, v) in (await RoutesAsync()).Concat(extra ?? []))
        {
            settings[k] = v;
        }

        return await KernelHarness.StartAsync([("relay", (Ops.Core.Packs.IOpsPack)new RelayPack())], settings);
    }

    private static async Task<EgressRow> SendAsync(KernelHarness h, RelayProbe probe, string messageId)
    {
        var outcome = await h.SendAsync("pack.relay.messages.Send", "message-" + messageId, new SendMessage(probe.Id, messageId, "hello " + messageId));
        Assert.True(outcome.IsAccepted, outcome.Reason);
        var requestId = DeterministicIds.Derive("egress-request", outcome.CommandId);
        return (await h.Kernel.Egress.Store.FindAsync(requestId, CancellationToken.None))!;
    }

    private static Task<EgressRow> ApproveAsync(KernelHarness h, EgressRow row) =>
        h.Kernel.Egress.ApproveAsync(row.RequestId, EgressApproval.Sign(h.KeyOf("admin"), "admin", row.RequestId, row.RequestHash, h.Time.GetUtcNow(), TimeSpan.FromMinutes(5)), Admin, CancellationToken.None);

    /// <summary>Bulk: requests enqueued and approved by policy through the kernel's own writer units, without a proposal each.</summary>
    private static async Task EnqueueApprovedAsync(KernelHarness h, RelayProbe probe, int count)
    {
        var created = await h.SendAsync("core.CreatePolicy", null, new CreatePolicy("relay-bulk", new PolicyScope(["pack.relay.*"], ["egress:relay"], ["admin"])));
        var policy = (await h.Kernel.EventLog.ReadAsync(created.Position!.Value - 1, 1, CancellationToken.None))[0].Envelope.PayloadAs<PolicyCreated>();
        Assert.True((await h.SendAsync("core.ActivatePolicy", null, new ActivatePolicy(policy.PolicyId, 1))).IsAccepted);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var ids = await h.Kernel.Writer.ExecuteAsync(
            async (session, ct) =>
            {
                var list = new List<string>();
                for (var i = 0; i < count; i++)
                {
                    var payload = System.Text.Json.JsonSerializer.SerializeToElement(new SendMessage(probe.Id, "bulk-" + i, "hi"), OpsJson.Options);
                    var row = await EgressLog.EnqueueAsync(session, "relay", "relay", "pack.relay.messages.Send", DeterministicIds.Derive("test-command", probe.Id, i.ToString(System.Globalization.CultureInfo.InvariantCulture)), new IdentityScope("acme", "system", "admin", "test"), Admin, payload, new string('0', 64), h.Time.GetUtcNow(), ct);
                    list.Add(row.RequestId);
                }

                return list;
            },
            CancellationToken.None);
        var byPolicy = new ConsentGrant(ConsentKind.Policy, PolicyId: policy.PolicyId, PolicyVersion: 1);
        foreach (var id in ids)
        {
            await h.Kernel.Egress.ApproveAsync(id, byPolicy, Admin, CancellationToken.None);
        }
    }

    private static async Task<IReadOnlyList<EgressReceipt>> ReceiptsAsync(KernelHarness h, EgressRow row, string type) =>
        (await h.Kernel.EventLog.ReadStreamAsync(EgressEventTypes.StreamOf(row.RequestId), CancellationToken.None))
            .Where(e => e.Envelope.EventType == type).Select(e => e.Envelope.PayloadAs<EgressReceipt>()).ToList();

    private static async Task<IReadOnlyList<long>> DispatchedAfterAsync(KernelHarness h, long position)
    {
        var after = new List<long>();
        var from = position;
        while (true)
        {
            var page = await h.Kernel.EventLog.ReadAsync(from, 10_000, CancellationToken.None);
            if (page.Count == 0)
            {
                return after;
            }

            after.AddRange(page.Where(e => e.Envelope.EventType == EgressEventTypes.Dispatched).Select(e => e.Position));
            from = page[^1].Position;
        }
    }
}

/// <summary>The egress gate on SQLite, the harness's default route.</summary>
public sealed class EgressGateSqliteTests : EgressGateTests
{
    protected override Task<Dictionary<string, string?>> RoutesAsync() => Task.FromResult(new Dictionary<string, string?>());

    protected override async Task TamperAsync(KernelHarness h, string sql, object? value, string id)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + h.DatabasePath);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        if (value is not null)
        {
            command.Parameters.AddWithValue("@v", value);
        }

        command.Parameters.AddWithValue("@id", id);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// The egress gate on PostgreSQL: a fresh database per test on the run's server (<see cref="PostgresServer"/>:
/// <c>OPS_TEST_POSTGRES</c>, or a throwaway cluster). The 16 dispatchers here share one kernel's writer; claims that compete
/// across processes (<c>FOR UPDATE SKIP LOCKED</c>) are the PostgreSQL crash test's (tests/Ops.Host.Tests/EgressCrashTests.cs).
/// </summary>
[RequiresPostgres]
public sealed class EgressGatePostgresTests(Storage.Postgres.PostgresFixture fixture) : EgressGateTests, IClassFixture<Storage.Postgres.PostgresFixture>
{
    private string? _connectionString;

    protected override async Task TamperAsync(KernelHarness h, string sql, object? value, string id)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        if (value is not null)
        {
            command.Parameters.AddWithValue("v", value);
        }

        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync();
    }

    protected override async Task<Dictionary<string, string?>> RoutesAsync()
    {
        var connectionString = _connectionString = PostgresServer.ConnectionString(await fixture.CreateDatabaseAsync(migrated: false));
        return new Dictionary<string, string?>
        {
            ["Ops:Routes:event_log:Provider"] = "postgres",
            ["Ops:Routes:event_log:ConnectionString"] = connectionString,
            ["Ops:Routes:projections:Provider"] = "postgres",
            ["Ops:Routes:projections:ConnectionString"] = connectionString,
        };
    }
}
