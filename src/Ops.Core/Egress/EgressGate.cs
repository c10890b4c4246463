using System.Text.Json;
using Ops.Core.Capabilities;
using Ops.Core.Commands.Pipeline;
using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Identity;
using Ops.Core.Log;
using Ops.Core.Packs;
using Ops.Core.Storage;

namespace Ops.Core.Egress;

/// <summary>
/// The kernel-owned egress gate (constitution A5): approval by a signer's consent bound to the request's hash or by an
/// active policy, operator holds and rejections, kill switches that hold (never drop) requests, quotas per destination
/// per window, and the dispatcher's claims and acknowledgements. Every move is one writer unit: a conditional update of
/// the outbox row (<c>WHERE status = @old</c>, seed 004) and the event that records it, in one transaction, so a
/// second worker or a restarted one cannot move a request twice, and the log says where each request stopped.
/// </summary>
[Authority(AuthorityClass.LogAppender, "events", "egress_requests", "egress_switches")]
internal sealed class EgressGate(LogWriter writer, IOutboxStore store, KernelRegistry registry, EgressOptions options, string mode, TimeProvider time, Microsoft.Extensions.Logging.ILogger logger)
{
    /// <summary>Capability action an approver needs on <c>egress:&lt;destination&gt;</c>.</summary>
    public const string ApproveAction = "core.ApproveEgress";

    /// <summary>Capability action an operator needs on <c>egress:&lt;destination&gt;</c> (or <c>egress:*</c> for switches) to reject, hold, release, undo and flip switches.</summary>
    public const string OperateAction = "core.OperateEgress";

    private const int SweepLimit = 10_000;

    public IOutboxStore Store => store;

    public EgressOptions Options => options;

    /// <summary>
    /// Approves a pending request. <paramref name="consent"/> is a signature by <paramref name="actor"/> over
    /// <see cref="ConsentSigning.SignedBytes"/> with preview_hash = the request's hash and interpretation_id = its id
    /// (single use), or an active policy covering the command on <c>egress:&lt;destination&gt;</c>.
    /// </summary>
    /// <exception cref="OpsException">not_found, egress_state_conflict, capability_denied, or a consent code; nothing changed.</exception>
    public Task<EgressRow> ApproveAsync(string requestId, ConsentGrant consent, ActorRef actor, CancellationToken cancellationToken) =>
        writer.ExecuteAsync(
            async (session, ct) =>
            {
                var now = time.GetUtcNow();
                var row = await RequireAsync(session, requestId, ApproveAction, actor, now, ct);
                RequireStatus(row, "approve", EgressStatus.Pending);
                var ledger = await RequireIntactAsync(session, row, "approve", ct);
                var approver = consent.Kind == ConsentKind.Signature ? actor.Id : $"policy:{consent.PolicyId}@{consent.PolicyVersion}";
                options.Destinations.TryGetValue(row.Destination, out var destination);
                if (destination is { RequesterMayApprove: false } && approver == ledger.RequesterId)
                {
                    throw new OpsException(ReasonCodes.SeparationOfDuties, $"'{actor.Id}' asked for egress request {Short(row)} and may not approve it: destination '{row.Destination}' requires an approver other than the requester. Nothing was changed.");
                }

                if (ledger.Approvers.Contains(approver, StringComparer.Ordinal))
                {
                    throw new OpsException(ReasonCodes.SeparationOfDuties, $"'{approver}' has approved egress request {Short(row)} already; destination '{row.Destination}' needs {destination?.ApprovalsRequired ?? 1} distinct approvers. Nothing was changed.");
                }

                var interpretation = new ProposedInterpretation(row.RequestId, "egress " + row.Destination, 1, "mutate", new ActionScope(row.CommandType, "egress:" + row.Destination, EgressEventTypes.StreamOf(row.RequestId), SafetyClass.WriteExternalSideEffect), [], Reversibility.Compensatable, [], [], row.RequestHash);
                var refused = await ConsentStage.CheckAsync(session.Core, consent, interpretation, row.CommandType, "egress:" + row.Destination, actor, now, async stream => await session.StreamVersionAsync(stream, ct) > 0);
                if (refused is not null)
                {
                    throw new OpsException(refused.Code, $"Approval of egress request {Short(row)} refused: {refused.Message}. Nothing was changed.");
                }

                var remaining = Math.Max(0, (destination?.ApprovalsRequired ?? 1) - ledger.Approvers.Count - 1);
                if (remaining == 0)
                {
                    await MoveAsync(session, row, new EgressMove(row.RequestId, EgressStatus.Pending, EgressStatus.Approved, now.UtcTicks), now, ct);
                }

                if (consent.Kind == ConsentKind.Signature)
                {
                    // Consumes the signature's nonce: a signature approves once.
                    var consentStream = ConsentStage.ConsentStream(consent, row.RequestId);
                    var draft = EventDraft.Create(ConsentEventTypes.ConsentRecorded, 1, EventDraft.Payload(new ConsentRecorded(row.RequestId, row.RequestHash, row.RequestId, consent)), "egress:" + row.RequestId, "consent", null, now, new Causation(row.CommandId, row.CommandId, CausationType.Command), actor, null, null, new IdentityScope(row.TenantId, mode, null, "egress"), consentStream);
                    await session.AppendAsync(consentStream, 0, [draft], ct);
                }

                var approved = consent.Kind == ConsentKind.Signature
                    ? new EgressApproved(row.RequestId, row.RequestHash, actor.Id, consent.KeyId, null, null, remaining == 0 ? null : remaining)
                    : new EgressApproved(row.RequestId, row.RequestHash, null, null, consent.PolicyId, consent.PolicyVersion, remaining == 0 ? null : remaining);
                await EgressLog.AppendAsync(session, row, EgressEventTypes.Approved, approved, actor, mode, now, ct);
                return remaining == 0 ? row with { Status = EgressStatus.Approved } : row;
            },
            cancellationToken);

    /// <summary>Rejects a pending request, or one held from pending: it never goes out.</summary>
    /// <exception cref="OpsException">not_found, egress_state_conflict or capability_denied; nothing changed.</exception>
    public Task<EgressRow> RejectAsync(string requestId, string reason, ActorRef actor, CancellationToken cancellationToken) =>
        writer.ExecuteAsync(
            async (session, ct) =>
            {
                var now = time.GetUtcNow();
                var row = await RequireAsync(session, requestId, OperateAction, actor, now, ct);
                if (!(row.Status == EgressStatus.Pending || (row.Status == EgressStatus.Held && row.HeldFrom == EgressStatus.Pending)))
                {
                    throw Conflict(row, "reject", "pending (or held while pending)");
                }

                await MoveAsync(session, row, new EgressMove(row.RequestId, row.Status, EgressStatus.Rejected, now.UtcTicks), now, ct);
                await EgressLog.AppendAsync(session, row, EgressEventTypes.Rejected, new EgressRejected(row.RequestId, actor.Id, reason), actor, mode, now, ct);
                return row with { Status = EgressStatus.Rejected };
            },
            cancellationToken);

    /// <summary>Holds a pending or approved request until an operator releases it.</summary>
    /// <exception cref="OpsException">not_found, egress_state_conflict or capability_denied; nothing changed.</exception>
    public Task<EgressRow> HoldAsync(string requestId, string reason, ActorRef actor, CancellationToken cancellationToken) =>
        writer.ExecuteAsync(
            async (session, ct) =>
            {
                var now = time.GetUtcNow();
                var row = await RequireAsync(session, requestId, OperateAction, actor, now, ct);
                RequireStatus(row, "hold", EgressStatus.Pending, EgressStatus.Approved);
                return await HoldRowAsync(session, row, actor.Id, reason, actor, now, ct);
            },
            cancellationToken);

    /// <summary>Releases a held request to the status it was held from; refused while a kill switch covers it.</summary>
    /// <exception cref="OpsException">not_found, egress_state_conflict, egress_switch_engaged or capability_denied; nothing changed.</exception>
    public Task<EgressRow> ReleaseAsync(string requestId, string reason, ActorRef actor, CancellationToken cancellationToken) =>
        writer.ExecuteAsync(
            async (session, ct) =>
            {
                var now = time.GetUtcNow();
                var row = await RequireAsync(session, requestId, OperateAction, actor, now, ct);
                RequireStatus(row, "release", EgressStatus.Held);
                await RequireIntactAsync(session, row, "release", ct);
                if ((await session.Transaction.Outbox.SwitchesAsync(ct)).FirstOrDefault(s => EgressLog.Covers(s.Scope, row)) is { } engaged)
                {
                    throw new OpsException(ReasonCodes.EgressSwitchEngaged, $"Egress request {Short(row)} is covered by the kill switch '{engaged.Scope}' ({engaged.Reason}); release the switch first. Nothing was changed.");
                }

                return await ReleaseRowAsync(session, row, actor.Id, reason, actor, now, ct);
            },
            cancellationToken);

    /// <summary>
    /// Engages a kill switch (<c>global</c>, <c>pack:&lt;id&gt;</c>, <c>destination:&lt;d&gt;</c>): in the same transaction every
    /// pending or approved request it covers moves to held, and no claim after this commit dispatches a covered request.
    /// Engaging an engaged switch changes nothing.
    /// </summary>
    /// <returns>How many requests it held.</returns>
    /// <exception cref="OpsException">bad_request for a malformed scope, capability_denied; nothing changed.</exception>
    public Task<int> EngageAsync(string scope, string reason, ActorRef actor, CancellationToken cancellationToken)
    {
        CheckScope(scope);
        return writer.ExecuteAsync(
            async (session, ct) =>
            {
                var now = time.GetUtcNow();
                RequireCapability(session, OperateAction, "egress:*", actor, now);
                scope = SwitchScopeOf(session, scope, actor, now);
                if (!await session.Transaction.Outbox.SetSwitchAsync(scope, engaged: true, reason, now.UtcTicks, ct))
                {
                    return 0;
                }

                var held = 0;
                foreach (var row in await session.Transaction.Outbox.InStatusAsync([EgressStatus.Pending, EgressStatus.Approved], SweepLimit, ct))
                {
                    if (EgressLog.Covers(scope, row))
                    {
                        await HoldRowAsync(session, row, "switch:" + scope, reason, actor, now, ct);
                        held++;
                    }
                }

                await EgressLog.AppendSwitchAsync(session, EgressEventTypes.SwitchEngaged, new EgressSwitchEngaged(scope, reason, actor.Id, held), scope, actor, mode, now, ct);
                return held;
            },
            cancellationToken);
    }

    /// <summary>Releases a kill switch: requests it held that no other engaged switch covers go back to where they were; operator holds stay.</summary>
    /// <returns>How many requests went back.</returns>
    /// <exception cref="OpsException">bad_request, not_found (the switch is not engaged), capability_denied; nothing changed.</exception>
    public Task<int> DisengageAsync(string scope, ActorRef actor, CancellationToken cancellationToken)
    {
        CheckScope(scope);
        return writer.ExecuteAsync(
            async (session, ct) =>
            {
                var now = time.GetUtcNow();
                RequireCapability(session, OperateAction, "egress:*", actor, now);
                scope = SwitchScopeOf(session, scope, actor, now);
                if (!await session.Transaction.Outbox.SetSwitchAsync(scope, engaged: false, null, now.UtcTicks, ct))
                {
                    throw new OpsException(ReasonCodes.NotFound, $"The kill switch '{scope}' is not engaged. Nothing was changed.");
                }

                var remaining = await session.Transaction.Outbox.SwitchesAsync(ct);
                var released = 0;
                foreach (var row in await session.Transaction.Outbox.InStatusAsync([EgressStatus.Held], SweepLimit, ct))
                {
                    // Who held it is what the log says: the last core.EgressHeld of its stream.
                    if (remaining.Any(s => EgressLog.Covers(s.Scope, row)) || await LastHolderAsync(session, row, ct) is not { } by || !by.StartsWith("switch:", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    await ReleaseRowAsync(session, row, "switch:" + scope, "kill switch released", actor, now, ct);
                    released++;
                }

                await EgressLog.AppendSwitchAsync(session, EgressEventTypes.SwitchReleased, new EgressSwitchReleased(scope, actor.Id, released), scope, actor, mode, now, ct);
                return released;
            },
            cancellationToken);
    }

    /// <summary>
    /// One claim transaction: approved requests, and dispatched or compensating ones whose lease ran out, oldest first. A
    /// covered request moves to held; one over its destination's quota waits; one past the attempt limit fails with a
    /// receipt and its compensation is claimed at once; every other moves to dispatched with a lease for
    /// <paramref name="worker"/>. A compensating request whose lease ended (its worker died after recording the failure,
    /// issue 20 item 6) is claimed again with a new lease, waits while a kill switch covers it, and goes back to failed
    /// with <c>core.EgressCompensationFailed</c> past the attempt limit. The caller calls the destination after the
    /// commit, holding no row lock: rows returned as dispatched are dispatched, rows returned as compensating are compensated.
    /// </summary>
    public Task<IReadOnlyList<EgressRow>> ClaimAsync(string worker, int limit, CancellationToken cancellationToken) =>
        writer.ExecuteAsync<IReadOnlyList<EgressRow>>(
            async (session, ct) =>
            {
                var now = time.GetUtcNow();
                var outbox = session.Transaction.Outbox;
                var switches = await outbox.SwitchesAsync(ct);
                var claimed = new List<EgressRow>();
                var atQuota = new List<string>();
                foreach (var (name, quoted) in options.Destinations.Where(d => d.Value.Quota > 0))
                {
                    if (await outbox.CountDispatchedSinceAsync(name, WindowStart(now, quoted), ct) >= quoted.Quota)
                    {
                        atQuota.Add(name);
                    }
                }

                foreach (var row in await outbox.ClaimableAsync(now.UtcTicks, limit, atQuota, ct))
                {
                    // The approved request is the one sent: a row that differs from what the log recorded is held, never sent.
                    // It goes back to pending on release, so only a fresh approval of intact bytes can send it.
                    var ledger = OutboxIntegrity.Fold(await session.ReadStreamAsync(EgressEventTypes.StreamOf(row.RequestId), ct));
                    if (OutboxIntegrity.Compare(row, ledger) is { } altered)
                    {
                        CoreLog.EgressRowAltered(logger, row.RequestId, altered);
                        await HoldRowAsync(session, row, OutboxIntegrity.Holder, "the outbox row differs from the log: " + altered, EgressLog.Dispatcher, now, ct, heldFrom: EgressStatus.Pending);
                        continue;
                    }

                    var engaged = switches.FirstOrDefault(s => EgressLog.Covers(s.Scope, row));
                    if (row.Status == EgressStatus.Compensating)
                    {
                        // A compensation is a call to the destination too: it waits, compensating, while a switch covers it.
                        if (engaged is null && await ReclaimCompensationAsync(session, row, ledger!.CompensationAttempts, worker, now, ct) is { } compensating)
                        {
                            claimed.Add(compensating);
                        }

                        continue;
                    }

                    if (engaged is not null)
                    {
                        await HoldRowAsync(session, row, "switch:" + engaged.Scope, engaged.Reason, EgressLog.Dispatcher, now, ct, heldFrom: EgressStatus.Approved);
                        continue;
                    }

                    if (row.Attempts >= options.MaxAttempts)
                    {
                        if (await outbox.TryMoveAsync(new EgressMove(row.RequestId, row.Status, EgressStatus.Failed, now.UtcTicks) { LeaseExpiredByTicks = row.Status == EgressStatus.Dispatched ? now.UtcTicks : null }, ct))
                        {
                            await AppendReceiptAsync(session, row, EgressEventTypes.Failed, new EgressResult(EgressOutcome.Failed, 0, $"no acknowledged attempt after {row.Attempts} attempts"), row.Attempts, row.LeaseOwner ?? worker, now, now, ct);
                            CoreLog.EgressFailed(logger, row.RequestId, row.Destination, 0, $"no acknowledged attempt after {row.Attempts} attempts");
                            claimed.Add(await ClaimCompensationAsync(session, row with { Status = EgressStatus.Failed }, 1, worker, now, ct));
                        }

                        continue;
                    }

                    if (row.DispatchedAtTicks is null && options.Destinations.TryGetValue(row.Destination, out var destination)
                        && ((destination.Quota > 0 && await outbox.CountDispatchedSinceAsync(row.Destination, WindowStart(now, destination), ct) >= destination.Quota)
                            || (destination.TenantQuota > 0 && await outbox.CountDispatchedSinceAsync(row.Destination, row.TenantId, WindowStart(now, destination), ct) >= destination.TenantQuota)))
                    {
                        continue;
                    }

                    var leaseUntil = now + TimeSpan.FromMilliseconds(options.LeaseMs);
                    var move = new EgressMove(row.RequestId, row.Status, EgressStatus.Dispatched, now.UtcTicks)
                    {
                        Dispatch = true,
                        LeaseOwner = worker,
                        LeaseUntilTicks = leaseUntil.UtcTicks,
                        LeaseExpiredByTicks = row.Status == EgressStatus.Dispatched ? now.UtcTicks : null,
                    };
                    if (await outbox.TryMoveAsync(move, ct))
                    {
                        var attempt = row.Attempts + 1;
                        await EgressLog.AppendAsync(session, row, EgressEventTypes.Dispatched, new EgressDispatched(row.RequestId, attempt, worker, leaseUntil), EgressLog.Dispatcher, mode, now, ct);
                        claimed.Add(row with { Status = EgressStatus.Dispatched, Attempts = attempt, LeaseOwner = worker, LeaseUntilTicks = leaseUntil.UtcTicks, DispatchedAtTicks = row.DispatchedAtTicks ?? now.UtcTicks });
                    }
                }

                return claimed;
            },
            cancellationToken);

    /// <summary>
    /// Records how <paramref name="worker"/>'s dispatch of <paramref name="claimed"/> ended: executed or failed (with the
    /// receipt), or back to a later attempt. Only the lease holder acknowledges: false (nothing written) when another
    /// worker has since claimed it or it moved on.
    /// </summary>
    /// <returns>The status it moved to, or null when this worker no longer holds it and nothing was written.</returns>
    public Task<string?> AcknowledgeAsync(EgressRow claimed, string worker, EgressResult result, DateTimeOffset startedAt, DateTimeOffset finishedAt, CancellationToken cancellationToken) =>
        writer.ExecuteAsync<string?>(
            async (session, ct) =>
            {
                var now = time.GetUtcNow();
                var outbox = session.Transaction.Outbox;
                if (result.Outcome == EgressOutcome.Retry && claimed.Attempts < options.MaxAttempts)
                {
                    // Stays dispatched under no one's lease until the backoff ends; then any worker re-claims it with the same key.
                    var until = now + TimeSpan.FromMilliseconds(options.RetryBackoffMs);
                    if (!await outbox.TryMoveAsync(new EgressMove(claimed.RequestId, EgressStatus.Dispatched, EgressStatus.Dispatched, now.UtcTicks) { RequireLeaseOwner = worker, LeaseOwner = "retry", LeaseUntilTicks = until.UtcTicks }, ct))
                    {
                        return null;
                    }

                    await EgressLog.AppendAsync(session, claimed, EgressEventTypes.RetryScheduled, new EgressRetryScheduled(claimed.RequestId, claimed.Attempts, result.StatusCode, result.Detail), EgressLog.Dispatcher, mode, now, ct);
                    return EgressStatus.Dispatched;
                }

                var to = result.Succeeded ? EgressStatus.Executed : EgressStatus.Failed;
                if (!await outbox.TryMoveAsync(new EgressMove(claimed.RequestId, EgressStatus.Dispatched, to, now.UtcTicks) { RequireLeaseOwner = worker }, ct))
                {
                    return null;
                }

                await AppendReceiptAsync(session, claimed, result.Succeeded ? EgressEventTypes.Executed : EgressEventTypes.Failed, result, claimed.Attempts, worker, startedAt, finishedAt, ct);
                if (!result.Succeeded)
                {
                    CoreLog.EgressFailed(logger, claimed.RequestId, claimed.Destination, result.StatusCode, result.Detail ?? "(no detail)");
                    // Issue 20 item 6: the failure and the claim on its compensation commit together, so a worker that dies
                    // before the hook ran leaves a compensation lease that ends, never a failed request nothing sweeps.
                    await ClaimCompensationAsync(session, claimed with { Status = EgressStatus.Failed }, 1, worker, now, ct);
                    return EgressStatus.Compensating;
                }

                return to;
            },
            cancellationToken);

    /// <summary>
    /// Records the compensation hook's answer (→ compensated). From <c>compensating</c> only while
    /// <paramref name="leaseOwner"/> holds the compensation lease (the dispatcher); from failed or executed for an
    /// operator's undo (<paramref name="leaseOwner"/> null). False, nothing written, when the request has moved on.
    /// </summary>
    public Task<bool> CompensatedAsync(EgressRow row, string from, string? leaseOwner, string by, string reason, ActorRef actor, EgressResult result, CancellationToken cancellationToken) =>
        writer.ExecuteAsync(
            async (session, ct) =>
            {
                var now = time.GetUtcNow();
                if (!await session.Transaction.Outbox.TryMoveAsync(new EgressMove(row.RequestId, from, EgressStatus.Compensated, now.UtcTicks) { RequireLeaseOwner = leaseOwner }, ct))
                {
                    return false;
                }

                var offset = from == EgressStatus.Compensating ? EgressStatus.Failed : from;
                await EgressLog.AppendAsync(session, row, EgressEventTypes.Compensated, new EgressCompensated(row.RequestId, offset, by, result.StatusCode, result.Detail, reason), actor, mode, now, ct);
                return true;
            },
            cancellationToken);

    /// <summary>
    /// Records that the compensation hook gave up on a request <paramref name="worker"/> holds the compensation lease of
    /// (compensating → failed, <c>core.EgressCompensationFailed</c>); an operator may undo it by hand later. False, nothing
    /// written, when the lease is no longer this worker's.
    /// </summary>
    public Task<bool> CompensationFailedAsync(EgressRow row, string worker, EgressResult result, CancellationToken cancellationToken) =>
        writer.ExecuteAsync(
            async (session, ct) =>
            {
                var now = time.GetUtcNow();
                if (!await session.Transaction.Outbox.TryMoveAsync(new EgressMove(row.RequestId, EgressStatus.Compensating, EgressStatus.Failed, now.UtcTicks) { RequireLeaseOwner = worker }, ct))
                {
                    return false;
                }

                var attempt = OutboxIntegrity.Fold(await session.ReadStreamAsync(EgressEventTypes.StreamOf(row.RequestId), ct))?.CompensationAttempts ?? 0;
                await EgressLog.AppendAsync(session, row, EgressEventTypes.CompensationFailed, new EgressCompensationFailed(row.RequestId, attempt, worker, result.StatusCode, result.Detail), EgressLog.Dispatcher, mode, now, ct);
                return true;
            },
            cancellationToken);

    /// <summary>Checks an operator may undo the request (executed or failed) and returns it.</summary>
    /// <exception cref="OpsException">not_found, egress_state_conflict or capability_denied.</exception>
    public Task<EgressRow> CheckUndoAsync(string requestId, ActorRef actor, CancellationToken cancellationToken) =>
        writer.ExecuteAsync(
            async (session, ct) =>
            {
                var row = await RequireAsync(session, requestId, OperateAction, actor, time.GetUtcNow(), ct);
                RequireStatus(row, "undo", EgressStatus.Executed, EgressStatus.Failed);
                await RequireIntactAsync(session, row, "undo", ct);
                return row;
            },
            cancellationToken);

    /// <summary>Records a credential handle issued for one attempt (constitution §12: each issuance leaves a receipt).</summary>
    public Task RecordCredentialAsync(EgressRow row, EgressCredentialIssued issued, CancellationToken cancellationToken) =>
        writer.ExecuteAsync(
            async (session, ct) =>
            {
                await EgressLog.AppendAsync(session, row, EgressEventTypes.CredentialIssued, issued, EgressLog.Dispatcher, mode, time.GetUtcNow(), ct);
                return true;
            },
            cancellationToken);

    /// <summary>The tenant of a registered actor as the writer last committed it, or null.</summary>
    public string? TenantOf(ActorRef actor) => writer.CommittedCore.Actors.TryGetValue(actor.Id, out var registered) ? registered.TenantId : null;

    /// <summary>The registration binding the request's command to its pack's handler, or null when the pack is gone.</summary>
    public EgressBinding? BindingOf(EgressRow row) =>
        registry.Commands.TryGetValue(row.CommandType, out var registration) ? registration.Egress : null;

    /// <summary>
    /// Moves a request that just failed for good to compensating under <paramref name="worker"/>'s lease and records
    /// <c>core.EgressCompensationClaimed</c>, in the caller's transaction (the one that recorded the failure).
    /// </summary>
    private async ValueTask<EgressRow> ClaimCompensationAsync(WriteSession session, EgressRow row, int attempt, string worker, DateTimeOffset now, CancellationToken ct)
    {
        var leaseUntil = now + TimeSpan.FromMilliseconds(options.LeaseMs);
        await MoveAsync(session, row, new EgressMove(row.RequestId, row.Status, EgressStatus.Compensating, now.UtcTicks) { LeaseOwner = worker, LeaseUntilTicks = leaseUntil.UtcTicks }, now, ct);
        await EgressLog.AppendAsync(session, row, EgressEventTypes.CompensationClaimed, new EgressCompensationClaimed(row.RequestId, attempt, worker, leaseUntil), EgressLog.Dispatcher, mode, now, ct);
        return row with { Status = EgressStatus.Compensating, LeaseOwner = worker, LeaseUntilTicks = leaseUntil.UtcTicks };
    }

    /// <summary>
    /// A compensating request whose lease ended: claimed again for <paramref name="worker"/> (the next attempt), or, past
    /// the attempt limit, back to failed with <c>core.EgressCompensationFailed</c>. Null when it is not this worker's to compensate.
    /// </summary>
    private async ValueTask<EgressRow?> ReclaimCompensationAsync(WriteSession session, EgressRow row, int attempts, string worker, DateTimeOffset now, CancellationToken ct)
    {
        var outbox = session.Transaction.Outbox;
        if (attempts >= options.MaxAttempts)
        {
            if (await outbox.TryMoveAsync(new EgressMove(row.RequestId, EgressStatus.Compensating, EgressStatus.Failed, now.UtcTicks) { LeaseExpiredByTicks = now.UtcTicks }, ct))
            {
                await EgressLog.AppendAsync(session, row, EgressEventTypes.CompensationFailed, new EgressCompensationFailed(row.RequestId, attempts, worker, 0, $"no acknowledged compensation after {attempts} attempts"), EgressLog.Dispatcher, mode, now, ct);
            }

            return null;
        }

        var leaseUntil = now + TimeSpan.FromMilliseconds(options.LeaseMs);
        var move = new EgressMove(row.RequestId, EgressStatus.Compensating, EgressStatus.Compensating, now.UtcTicks) { LeaseOwner = worker, LeaseUntilTicks = leaseUntil.UtcTicks, LeaseExpiredByTicks = now.UtcTicks };
        if (!await outbox.TryMoveAsync(move, ct))
        {
            return null;
        }

        await EgressLog.AppendAsync(session, row, EgressEventTypes.CompensationClaimed, new EgressCompensationClaimed(row.RequestId, attempts + 1, worker, leaseUntil), EgressLog.Dispatcher, mode, now, ct);
        return row with { LeaseOwner = worker, LeaseUntilTicks = leaseUntil.UtcTicks };
    }

    private async ValueTask<EgressRow> HoldRowAsync(WriteSession session, EgressRow row, string by, string reason, ActorRef actor, DateTimeOffset now, CancellationToken ct, string? heldFrom = null)
    {
        var from = heldFrom ?? row.Status;
        await MoveAsync(session, row, new EgressMove(row.RequestId, row.Status, EgressStatus.Held, now.UtcTicks) { HeldFrom = from, LeaseExpiredByTicks = row.Status == EgressStatus.Dispatched ? now.UtcTicks : null }, now, ct);
        await EgressLog.AppendAsync(session, row, EgressEventTypes.Held, new EgressHeld(row.RequestId, from, by, reason), actor, mode, now, ct);
        return row with { Status = EgressStatus.Held, HeldFrom = from };
    }

    private async ValueTask<EgressRow> ReleaseRowAsync(WriteSession session, EgressRow row, string by, string reason, ActorRef actor, DateTimeOffset now, CancellationToken ct)
    {
        var to = row.HeldFrom ?? EgressStatus.Pending;
        await MoveAsync(session, row, new EgressMove(row.RequestId, EgressStatus.Held, to, now.UtcTicks), now, ct);
        await EgressLog.AppendAsync(session, row, EgressEventTypes.Released, new EgressReleased(row.RequestId, to, by, reason), actor, mode, now, ct);
        return row with { Status = to, HeldFrom = null };
    }

    private async ValueTask AppendReceiptAsync(WriteSession session, EgressRow row, string eventType, EgressResult result, int attempt, string worker, DateTimeOffset startedAt, DateTimeOffset finishedAt, CancellationToken ct)
    {
        var ledger = OutboxIntegrity.Fold(await session.ReadStreamAsync(EgressEventTypes.StreamOf(row.RequestId), ct));
        var approval = ledger?.Approvals.LastOrDefault();
        var receipt = new EgressReceipt(
            row.RequestId, row.RequestHash, row.Destination, row.IdempotencyKey, approval?.ApprovedBy, approval?.KeyId, approval?.PolicyId, approval?.PolicyVersion,
            result.StatusCode, result.Detail, attempt, worker, startedAt, finishedAt, (finishedAt - startedAt).TotalMilliseconds, ledger?.Approvers);
        await EgressLog.AppendAsync(session, row, eventType, receipt, EgressLog.Dispatcher, mode, finishedAt > time.GetUtcNow() ? finishedAt : time.GetUtcNow(), ct);
    }

    private static async ValueTask<string?> LastHolderAsync(WriteSession session, EgressRow row, CancellationToken ct) =>
        (await session.ReadStreamAsync(EgressEventTypes.StreamOf(row.RequestId), ct)).LastOrDefault(e => e.Envelope.EventType == EgressEventTypes.Held)?.Envelope.Payload.Deserialize<EgressHeld>(OpsJson.Options)?.By;

    private static async ValueTask MoveAsync(WriteSession session, EgressRow row, EgressMove move, DateTimeOffset now, CancellationToken ct)
    {
        if (!await session.Transaction.Outbox.TryMoveAsync(move, ct))
        {
            // Read in this transaction, so the status named is the one that made the move fail.
            var current = await session.Transaction.Outbox.FindAsync(row.RequestId, ct);
            throw new OpsException(ReasonCodes.EgressStateConflict, $"Egress request {Short(row)} is {current?.Status ?? "gone"}, not {move.From}: another operator or worker moved it first. Nothing was changed.");
        }
    }

    private async ValueTask<EgressRow> RequireAsync(WriteSession session, string requestId, string action, ActorRef actor, DateTimeOffset now, CancellationToken ct)
    {
        var row = await session.Transaction.Outbox.FindAsync(requestId ?? string.Empty, ct)
            ?? throw new OpsException(ReasonCodes.NotFound, $"There is no egress request '{requestId}'. Nothing was changed.");
        RequireCapability(session, action, "egress:" + row.Destination, actor, now);
        // Seed 001: tenant enforced server-side. A capability on egress:<destination> is not one on another tenant's requests.
        if (!session.Core.Actors.TryGetValue(actor.Id, out var registered) || registered.TenantId != row.TenantId)
        {
            throw new OpsException(ReasonCodes.CapabilityDenied, $"Egress request {Short(row)} belongs to another tenant than '{actor.Id}', who may act only on its own tenant's requests. Nothing was changed.");
        }

        return row;
    }

    /// <summary>The request's fold of the log, when the row is exactly what the log recorded; otherwise refused, nothing changed.</summary>
    private static async ValueTask<EgressLedger> RequireIntactAsync(WriteSession session, EgressRow row, string what, CancellationToken ct)
    {
        var ledger = OutboxIntegrity.Fold(await session.ReadStreamAsync(EgressEventTypes.StreamOf(row.RequestId), ct));
        if (OutboxIntegrity.Compare(row, ledger) is { } altered)
        {
            throw new OpsException(ReasonCodes.OutboxAltered, $"Cannot {what} egress request {Short(row)}: its outbox row differs from the log ({altered}). It was changed behind the kernel's back; 'log verify' names it. Reject it, or hold it for an investigation. Nothing was changed.");
        }

        return ledger!;
    }

    private static void RequireCapability(WriteSession session, string action, string target, ActorRef actor, DateTimeOffset now)
    {
        var decision = CapabilityEvaluator.FindFor(session.Core, actor.Id, action, target, SafetyClass.WriteInternal, now);
        if (!decision.Allowed)
        {
            throw new OpsException(ReasonCodes.CapabilityDenied, $"'{actor.Id}' holds no capability for {action} on {target}: {decision.Reason}. Nothing was changed.");
        }
    }

    private static void RequireStatus(EgressRow row, string what, params string[] allowed)
    {
        if (!allowed.Contains(row.Status, StringComparer.Ordinal))
        {
            throw Conflict(row, what, string.Join(" or ", allowed));
        }
    }

    private static OpsException Conflict(EgressRow row, string what, string allowed) =>
        new(ReasonCodes.EgressStateConflict, $"Cannot {what} egress request {Short(row)}: it is {row.Status}, and only a request that is {allowed} can be. Nothing was changed.");

    /// <summary>
    /// The stored scope of a switch an operator names (seed 001: a switch belongs to a tenant). An operator whose capability
    /// spans every tenant (root) engages what it names: <c>destination:github</c> holds every tenant's requests. Any other
    /// operator engages within its own tenant: <c>destination:github</c> becomes <c>tenant:&lt;own&gt;/destination:github</c>,
    /// and naming another tenant needs a capability whose chain names that tenant.
    /// </summary>
    private static string SwitchScopeOf(WriteSession session, string scope, ActorRef actor, DateTimeOffset now)
    {
        var own = session.Core.Actors.TryGetValue(actor.Id, out var registered) ? registered.TenantId : null;
        if (EgressLog.SplitScope(scope).Tenant is { } named)
        {
            if (named != own && !CapabilityEvaluator.FindInTenant(session.Core, actor.Id, OperateAction, "egress:*", SafetyClass.WriteInternal, now, named).Allowed)
            {
                throw new OpsException(ReasonCodes.CapabilityDenied, $"'{actor.Id}' may not flip kill switches of tenant '{named}': its capability does not reach into that tenant. Nothing was changed.");
            }

            return scope;
        }

        return CapabilityEvaluator.IsRootFor(session.Core, actor.Id, OperateAction, "egress:*", SafetyClass.WriteInternal, now) ? scope : EgressLog.TenantScope(own ?? string.Empty, scope);
    }

    private static void CheckScope(string scope)
    {
        var (tenant, inner) = EgressLog.SplitScope(scope);
        if (tenant is not null && !Naming.OpsTypeName.IsValidPackId(tenant))
        {
            throw new OpsException(ReasonCodes.BadRequest, $"Kill switch scope '{scope}' names tenant '{tenant}', which is not a valid tenant id. Nothing was changed.");
        }

        scope = inner;

        var ok = scope == "global"
            || (scope.StartsWith("pack:", StringComparison.Ordinal) && Naming.OpsTypeName.IsValidPackId(scope[5..]))
            || (scope.StartsWith("destination:", StringComparison.Ordinal) && Naming.OpsTypeName.IsValidPackId(scope[12..]));
        if (!ok)
        {
            throw new OpsException(ReasonCodes.BadRequest, $"Kill switch scope '{scope}' is not global, pack:<pack_id> or destination:<destination> (optionally after tenant:<tenant_id>/). Nothing was changed.");
        }
    }

    private static string Short(EgressRow row) => row.RequestId[..12];

    /// <summary>The request's latest receipt with a destination's answer, read from its chained stream; null before any.</summary>
    internal Task<EgressResultView?> LastResultAsync(string requestId, CancellationToken cancellationToken) =>
        writer.ExecuteAsync(
            async (session, ct) =>
            {
                foreach (var logged in (await session.ReadStreamAsync(EgressEventTypes.StreamOf(requestId), ct)).Reverse())
                {
                    var e = logged.Envelope;
                    switch (e.EventType)
                    {
                        case EgressEventTypes.Executed or EgressEventTypes.Failed:
                            var receipt = e.PayloadAs<EgressReceipt>();
                            return new EgressResultView(e.EventType, receipt.StatusCode, receipt.Detail, e.OccurredAt);
                        case EgressEventTypes.RetryScheduled:
                            var retry = e.PayloadAs<EgressRetryScheduled>();
                            return new EgressResultView(e.EventType, retry.StatusCode, retry.Detail, e.OccurredAt);
                    }
                }

                return (EgressResultView?)null;
            },
            cancellationToken);

    /// <summary>The first instant (UTC ticks) of the quota's sliding window that ends at <paramref name="now"/>.</summary>
    private static long WindowStart(DateTimeOffset now, EgressDestinationOptions destination) =>
        now.UtcTicks - TimeSpan.FromMilliseconds(destination.QuotaWindowMs).Ticks + 1;
}
