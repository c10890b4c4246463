using System.Text.Json;
using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Core.Storage;

namespace Ops.Core.Egress;

/// <summary>
/// What an operator does with egress (constitution A5, §2 Egress), for the HTTP API, the CLI and embedders: list and
/// read requests, approve (signed consent bound to the request's hash, or an active policy), reject, hold, release,
/// undo through the pack's compensation hook, and flip kill switches. Resolve it from the services AddOps adds. Every
/// refusal is an <see cref="Errors.OpsException"/> with a reason code and changes nothing; the acting actor needs
/// <c>core.ApproveEgress</c> (approve) or <c>core.OperateEgress</c> (everything else) on <c>egress:&lt;destination&gt;</c>
/// (<c>egress:*</c> for switches).
/// </summary>
public sealed class EgressOperations
{
    private readonly EgressGate _gate;
    private readonly EgressDispatcher _dispatcher;
    private readonly Log.CoreStateReader _core;
    private readonly TimeProvider _time;
    private readonly Safety.SafetyRecorder _safety;

    internal EgressOperations(EgressGate gate, EgressDispatcher dispatcher, Log.CoreStateReader core, Safety.SafetyRecorder safety, TimeProvider time)
    {
        _gate = gate;
        _dispatcher = dispatcher;
        _core = core;
        _safety = safety;
        _time = time;
    }

    /// <summary>
    /// The requests in <paramref name="status"/> (all when null), oldest first, that <paramref name="actor"/> may see:
    /// those of its own tenant (seed 001) on a destination where it holds <c>core.OperateEgress</c> or
    /// <c>core.ApproveEgress</c>, checked against the log's head. Others are left out, never named.
    /// </summary>
    /// <param name="status">pending, approved, dispatched, executed, failed, compensating, held, rejected or compensated.</param>
    /// <param name="limit">At most this many of all tenants' requests are read, 1 to 10,000; the ones the actor may see are returned.</param>
    /// <param name="actor">The authenticated actor.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The requests.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is outside 1 to 10,000.</exception>
    public async Task<IReadOnlyList<EgressRequestView>> ListAsync(string? status, int limit, ActorRef actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var rows = await _gate.Store.ListAsync(status, limit, cancellationToken);
        var core = await _core.CurrentAsync(cancellationToken);
        return [.. rows.Where(row => MaySee(core, actor, row)).Select(View)];
    }

    /// <summary>One request, when <paramref name="actor"/> may see it (as for <see cref="ListAsync"/>); null when it does not exist or belongs where the actor may not look, which are not told apart.</summary>
    /// <param name="requestId">64 hex.</param>
    /// <param name="actor">The authenticated actor.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The request or null.</returns>
    public async Task<EgressRequestView?> GetAsync(string requestId, ActorRef actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (await _gate.Store.FindAsync(requestId, cancellationToken) is not { } row)
        {
            return null;
        }

        return MaySee(await _core.CurrentAsync(cancellationToken), actor, row) ? View(row) with { LastResult = await _gate.LastResultAsync(requestId, cancellationToken) } : null;
    }

    /// <summary>
    /// Engaged kill switches as <paramref name="actor"/> may see them (seed 001, ADR 0007): every switch for an operator whose
    /// capability spans every tenant; otherwise its own tenant's (<c>tenant:&lt;own&gt;/…</c>) with their reasons, and the
    /// root operator's switches that hold its requests too, by scope and time only (their reasons may speak of other tenants).
    /// </summary>
    /// <param name="actor">The authenticated actor.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The switches, by scope.</returns>
    public async Task<IReadOnlyList<EgressSwitchView>> SwitchesAsync(ActorRef actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var core = await _core.CurrentAsync(cancellationToken);
        var now = core.EnforcementTime(_time.GetUtcNow());
        var switches = await _gate.Store.SwitchesAsync(cancellationToken);
        if (Capabilities.CapabilityEvaluator.IsRootFor(core, actor.Id, EgressGate.OperateAction, "egress:*", SafetyClass.WriteInternal, now))
        {
            return [.. switches.Select(s => new EgressSwitchView(s.Scope, s.Reason, At(s.EngagedAtTicks)))];
        }

        var own = core.Actors.TryGetValue(actor.Id, out var registered) ? registered.TenantId : null;
        return [.. switches
            .Select(s => (Switch: s, EgressLog.SplitScope(s.Scope).Tenant))
            .Where(s => s.Tenant is null || s.Tenant == own)
            .Select(s => new EgressSwitchView(s.Switch.Scope, s.Tenant is null ? "engaged by a root operator" : s.Switch.Reason, At(s.Switch.EngagedAtTicks)))];
    }

    /// <summary>Approves a pending request: a signature by <paramref name="actor"/> (<see cref="EgressApproval.Sign"/>) or a policy consent.</summary>
    /// <param name="requestId">The request.</param>
    /// <param name="consent">The signature or policy consent.</param>
    /// <param name="actor">The authenticated actor.</param>
    /// <param name="cancellationToken">Cancels before the write.</param>
    /// <returns>The request, approved.</returns>
    /// <exception cref="Errors.OpsException">not_found, egress_state_conflict, capability_denied, signature_invalid, signature_already_used, consent_expired, key_not_active, policy_not_applicable, consent_invalid.</exception>
    public async Task<EgressRequestView> ApproveAsync(string requestId, ConsentGrant consent, ActorRef actor, CancellationToken cancellationToken) =>
        View(await RecordedAsync("egress approve", requestId, actor, () => _gate.ApproveAsync(requestId, consent, actor, cancellationToken), cancellationToken));

    /// <summary>Rejects a pending request (or one held while pending); it never goes out.</summary>
    /// <param name="requestId">The request.</param>
    /// <param name="reason">Why, recorded.</param>
    /// <param name="actor">The authenticated actor.</param>
    /// <param name="cancellationToken">Cancels before the write.</param>
    /// <returns>The request, rejected.</returns>
    /// <exception cref="Errors.OpsException">not_found, egress_state_conflict, capability_denied.</exception>
    public async Task<EgressRequestView> RejectAsync(string requestId, string reason, ActorRef actor, CancellationToken cancellationToken) =>
        View(await RecordedAsync("egress reject", requestId, actor, () => _gate.RejectAsync(requestId, reason, actor, cancellationToken), cancellationToken));

    /// <summary>Holds a pending or approved request until released.</summary>
    /// <param name="requestId">The request.</param>
    /// <param name="reason">Why, recorded.</param>
    /// <param name="actor">The authenticated actor.</param>
    /// <param name="cancellationToken">Cancels before the write.</param>
    /// <returns>The request, held.</returns>
    /// <exception cref="Errors.OpsException">not_found, egress_state_conflict, capability_denied.</exception>
    public async Task<EgressRequestView> HoldAsync(string requestId, string reason, ActorRef actor, CancellationToken cancellationToken) =>
        View(await RecordedAsync("egress hold", requestId, actor, () => _gate.HoldAsync(requestId, reason, actor, cancellationToken), cancellationToken));

    /// <summary>Releases a held request to the status it was held from.</summary>
    /// <param name="requestId">The request.</param>
    /// <param name="reason">Why, recorded.</param>
    /// <param name="actor">The authenticated actor.</param>
    /// <param name="cancellationToken">Cancels before the write.</param>
    /// <returns>The request, released.</returns>
    /// <exception cref="Errors.OpsException">not_found, egress_state_conflict, egress_switch_engaged, capability_denied.</exception>
    public async Task<EgressRequestView> ReleaseAsync(string requestId, string reason, ActorRef actor, CancellationToken cancellationToken) =>
        View(await RecordedAsync("egress release", requestId, actor, () => _gate.ReleaseAsync(requestId, reason, actor, cancellationToken), cancellationToken));

    /// <summary>Undoes an executed or failed request through the pack's compensation hook.</summary>
    /// <param name="requestId">The request.</param>
    /// <param name="reason">Why, recorded.</param>
    /// <param name="actor">The authenticated actor.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The request afterwards (compensated when the hook succeeded; unchanged otherwise).</returns>
    /// <exception cref="Errors.OpsException">not_found, egress_state_conflict, capability_denied, pack_not_installed.</exception>
    public async Task<EgressRequestView> UndoAsync(string requestId, string reason, ActorRef actor, CancellationToken cancellationToken)
    {
        var row = await RecordedAsync("egress undo", requestId, actor, () => _gate.CheckUndoAsync(requestId, actor, cancellationToken), cancellationToken);
        await _dispatcher.UndoAsync(row, reason, actor, cancellationToken);
        return View((await _gate.Store.FindAsync(requestId, cancellationToken))!);
    }

    /// <summary>Engages a kill switch: <c>global</c>, <c>pack:&lt;pack_id&gt;</c> or <c>destination:&lt;destination&gt;</c>.</summary>
    /// <param name="scope">The switch.</param>
    /// <param name="reason">Why, recorded.</param>
    /// <param name="actor">The authenticated actor.</param>
    /// <param name="cancellationToken">Cancels before the write.</param>
    /// <returns>How many requests it held (0 when it was already engaged).</returns>
    /// <exception cref="Errors.OpsException">bad_request, capability_denied.</exception>
    public Task<int> EngageSwitchAsync(string scope, string reason, ActorRef actor, CancellationToken cancellationToken) =>
        RecordedAsync("egress switch engage", "switch:" + scope, actor, () => _gate.EngageAsync(scope, reason, actor, cancellationToken), cancellationToken);

    /// <summary>Releases a kill switch; requests it held go back unless another switch covers them.</summary>
    /// <param name="scope">The switch.</param>
    /// <param name="actor">The authenticated actor.</param>
    /// <param name="cancellationToken">Cancels before the write.</param>
    /// <returns>How many requests went back.</returns>
    /// <exception cref="Errors.OpsException">bad_request, not_found (not engaged), capability_denied.</exception>
    public Task<int> ReleaseSwitchAsync(string scope, ActorRef actor, CancellationToken cancellationToken) =>
        RecordedAsync("egress switch release", "switch:" + scope, actor, () => _gate.DisengageAsync(scope, actor, cancellationToken), cancellationToken);

    /// <summary>Runs a move; a refusal is recorded on the safety stream (issue 20 item 3: every refusal on the record) and rethrown.</summary>
    private async Task<T> RecordedAsync<T>(string route, string objectRef, ActorRef actor, Func<Task<T>> move, CancellationToken cancellationToken)
    {
        try
        {
            return await move();
        }
        catch (Errors.OpsException ex)
        {
            var tenant = _gate.TenantOf(actor);
            await _safety.RecordAsync(new Safety.SafetyDecision(route, actor.Id, tenant, null, ex.Code, ex.Message) { ObjectRef = objectRef }, CancellationToken.None);
            throw;
        }
    }

    private static EgressRequestView View(EgressRow row)
    {
        using var request = JsonDocument.Parse(row.Request);
        return new EgressRequestView(
            row.RequestId, row.Status, row.HeldFrom, row.Destination, row.PackId, row.TenantId, row.CommandType, row.CommandId, row.RequestHash, row.IdempotencyKey,
            row.Attempts, At(row.CreatedAtTicks), At(row.UpdatedAtTicks), row.DispatchedAtTicks is { } d ? At(d) : null, request.RootElement.Clone());
    }

    private static DateTimeOffset At(long ticks) => new(ticks, TimeSpan.Zero);

    private bool MaySee(Capabilities.CoreState core, ActorRef actor, EgressRow row)
    {
        if (!core.Actors.TryGetValue(actor.Id, out var registered) || registered.TenantId != row.TenantId)
        {
            return false;
        }

        var now = core.EnforcementTime(_time.GetUtcNow());
        var target = "egress:" + row.Destination;
        return Capabilities.CapabilityEvaluator.FindFor(core, actor.Id, EgressGate.OperateAction, target, SafetyClass.WriteInternal, now).Allowed
            || Capabilities.CapabilityEvaluator.FindFor(core, actor.Id, EgressGate.ApproveAction, target, SafetyClass.WriteInternal, now).Allowed;
    }
}

/// <summary>An egress request as an operator sees it.</summary>
/// <param name="RequestId">64 hex.</param>
/// <param name="Status">pending, approved, dispatched, executed, failed, compensating, held, rejected or compensated.</param>
/// <param name="HeldFrom">While held, the status a release returns it to.</param>
/// <param name="Destination">Where it goes.</param>
/// <param name="PackId">The pack that asked.</param>
/// <param name="TenantId">The requesting actor's tenant.</param>
/// <param name="CommandType">The command.</param>
/// <param name="CommandId">Its id.</param>
/// <param name="RequestHash">What an approver signs (preview_hash in <see cref="ConsentSigning.SignedBytes"/>).</param>
/// <param name="IdempotencyKey">Sent as <c>Idempotency-Key</c> on every attempt.</param>
/// <param name="Attempts">Dispatch attempts so far.</param>
/// <param name="CreatedAt">Enqueued (UTC).</param>
/// <param name="UpdatedAt">Last move (UTC).</param>
/// <param name="DispatchedAt">First dispatch (UTC).</param>
/// <param name="Request">The canonical request (its SHA-256 is <paramref name="RequestHash"/>).</param>
public sealed record EgressRequestView(string RequestId, string Status, string? HeldFrom, string Destination, string PackId, string TenantId, string CommandType, string CommandId, string RequestHash, string IdempotencyKey, int Attempts, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? DispatchedAt, JsonElement Request)
{
    /// <summary>
    /// What the destination last answered, from the request's receipts (executed, failed, or a retry scheduled): shown by
    /// <c>GET /v1/egress/{id}</c> and <c>egress show</c> so an operator sees why a request failed; null in lists and before
    /// any attempt (issue 15 item 3).
    /// </summary>
    public EgressResultView? LastResult { get; init; }
}

/// <summary>A destination's answer to one attempt, as its receipt recorded it.</summary>
/// <param name="EventType">The receipt: <c>core.EgressExecuted</c>, <c>core.EgressFailed</c> or <c>core.EgressRetryScheduled</c>.</param>
/// <param name="StatusCode">The destination's HTTP status, or 0 when there was no answer.</param>
/// <param name="Detail">The handler's or the kernel's words on it, or null.</param>
/// <param name="At">When it was recorded (UTC).</param>
public sealed record EgressResultView(string EventType, int StatusCode, string? Detail, DateTimeOffset At);

/// <summary>An engaged kill switch.</summary>
/// <param name="Scope">global, pack:&lt;pack_id&gt; or destination:&lt;destination&gt;.</param>
/// <param name="Reason">Why it was engaged.</param>
/// <param name="EngagedAt">When (UTC).</param>
public sealed record EgressSwitchView(string Scope, string Reason, DateTimeOffset EngagedAt);
