using System.Text.Json;
using Ops.Core.Packs;

namespace Ops.Core.Egress;

/// <summary>
/// The egress events (constitution A5, A9): every move of a request is one of these on its stream
/// <c>core:egress-&lt;request_id[..32]&gt;</c>, appended in the transaction of the conditional update that made the
/// move; kill switches are recorded on <c>core:egress-switches</c>. Payloads are snake_case JSON; times are UTC.
/// </summary>
public static class EgressEventTypes
{
    /// <summary><c>core.EgressRequested</c>: a committed WRITE_EXTERNAL_SIDE_EFFECT command enqueued a request (status pending).</summary>
    public const string Requested = "core.EgressRequested";

    /// <summary><c>core.EgressApproved</c>: approved by a signer or an active policy (pending → approved).</summary>
    public const string Approved = "core.EgressApproved";

    /// <summary><c>core.EgressRejected</c>: an operator refused it (pending or held → rejected); it never goes out.</summary>
    public const string Rejected = "core.EgressRejected";

    /// <summary><c>core.EgressHeld</c>: held by an operator or a kill switch (pending or approved → held); never dropped.</summary>
    public const string Held = "core.EgressHeld";

    /// <summary><c>core.EgressReleased</c>: back to the status it was held from.</summary>
    public const string Released = "core.EgressReleased";

    /// <summary><c>core.EgressDispatched</c>: a worker claimed it with a lease and is calling the destination.</summary>
    public const string Dispatched = "core.EgressDispatched";

    /// <summary><c>core.EgressRetryScheduled</c>: the attempt did not take effect; it is approved again for a later attempt.</summary>
    public const string RetryScheduled = "core.EgressRetryScheduled";

    /// <summary><c>core.EgressExecuted</c>: the receipt of a side effect that took place.</summary>
    public const string Executed = "core.EgressExecuted";

    /// <summary><c>core.EgressFailed</c>: the receipt of a request that failed for good.</summary>
    public const string Failed = "core.EgressFailed";

    /// <summary><c>core.EgressCompensated</c>: the pack's compensation hook offset it (compensating, failed or executed → compensated).</summary>
    public const string Compensated = "core.EgressCompensated";

    /// <summary>
    /// <c>core.EgressCompensationClaimed</c>: a worker holds the lease on a failed request's compensation (failed or
    /// compensating → compensating); when the lease ends before the compensation is recorded, any worker claims it again
    /// (issue 20 item 6).
    /// </summary>
    public const string CompensationClaimed = "core.EgressCompensationClaimed";

    /// <summary><c>core.EgressCompensationFailed</c>: the compensation hook gave up, or the attempt limit was reached (compensating → failed); an operator may <c>egress undo</c> it.</summary>
    public const string CompensationFailed = "core.EgressCompensationFailed";

    /// <summary><c>core.EgressCredentialIssued</c>: the secrets provider issued a credential handle for one attempt (constitution §12).</summary>
    public const string CredentialIssued = "core.EgressCredentialIssued";

    /// <summary><c>core.EgressSwitchEngaged</c>: a kill switch (global, pack or destination) holds matching requests.</summary>
    public const string SwitchEngaged = "core.EgressSwitchEngaged";

    /// <summary><c>core.EgressSwitchReleased</c>: the switch is off; requests it held go back.</summary>
    public const string SwitchReleased = "core.EgressSwitchReleased";

    /// <summary>The stream of kill switch events.</summary>
    public const string SwitchStream = "core:egress-switches";

    /// <summary>The stream of one request's events.</summary>
    /// <param name="requestId">64 hex.</param>
    /// <returns><c>core:egress-&lt;first 32 hex&gt;</c>.</returns>
    public static string StreamOf(string requestId)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        return "core:egress-" + requestId[..Math.Min(32, requestId.Length)];
    }

    internal static void Register(IPackBuilder builder) => builder
        .AddEvent<EgressRequested>(Requested)
        .AddEvent<EgressApproved>(Approved)
        .AddEvent<EgressRejected>(Rejected)
        .AddEvent<EgressHeld>(Held)
        .AddEvent<EgressReleased>(Released)
        .AddEvent<EgressDispatched>(Dispatched)
        .AddEvent<EgressRetryScheduled>(RetryScheduled)
        .AddEvent<EgressReceipt>(Executed)
        .AddEvent<EgressReceipt>(Failed)
        .AddEvent<EgressCompensated>(Compensated)
        .AddEvent<EgressCompensationClaimed>(CompensationClaimed)
        .AddEvent<EgressCompensationFailed>(CompensationFailed)
        .AddEvent<EgressCredentialIssued>(CredentialIssued)
        .AddEvent<EgressSwitchEngaged>(SwitchEngaged)
        .AddEvent<EgressSwitchReleased>(SwitchReleased);
}

/// <summary><c>core.EgressRequested</c>.</summary>
/// <param name="RequestId">64 hex, derived from the command id.</param>
/// <param name="CommandId">The committed command.</param>
/// <param name="CommandType">Its type.</param>
/// <param name="PackId">The pack that asked.</param>
/// <param name="Destination">Where it goes.</param>
/// <param name="TenantId">The requesting actor's tenant.</param>
/// <param name="IdempotencyKey">64 hex over ('egress', destination, tenant_id, request_id).</param>
/// <param name="RequestHash">SHA-256 of the canonical request: what an approver signs (its preview hash).</param>
/// <param name="Request">The canonical request: command, payload and preview.</param>
public sealed record EgressRequested(string RequestId, string CommandId, string CommandType, string PackId, string Destination, string TenantId, string IdempotencyKey, string RequestHash, JsonElement Request);

/// <summary><c>core.EgressApproved</c>: exactly one of (approving actor with key) or (policy id and version) (constitution A5).</summary>
/// <param name="RequestId">The request.</param>
/// <param name="RequestHash">The hash that was approved.</param>
/// <param name="ApprovedBy">The approving actor, for a signature.</param>
/// <param name="KeyId">The signer's key, for a signature.</param>
/// <param name="PolicyId">The approving policy.</param>
/// <param name="PolicyVersion">Its version.</param>
/// <param name="ApprovalsRemaining">Distinct approvals still needed after this one (the destination's <c>ApprovalsRequired</c>); null or 0 when this approval approved the request.</param>
public sealed record EgressApproved(string RequestId, string RequestHash, string? ApprovedBy, string? KeyId, string? PolicyId, int? PolicyVersion, int? ApprovalsRemaining = null);

/// <summary><c>core.EgressRejected</c>.</summary>
/// <param name="RequestId">The request.</param>
/// <param name="By">The operator.</param>
/// <param name="Reason">Why.</param>
public sealed record EgressRejected(string RequestId, string By, string Reason);

/// <summary><c>core.EgressHeld</c>.</summary>
/// <param name="RequestId">The request.</param>
/// <param name="From">The status it returns to on release.</param>
/// <param name="By">The operator, or <c>switch:&lt;scope&gt;</c>.</param>
/// <param name="Reason">Why.</param>
public sealed record EgressHeld(string RequestId, string From, string By, string Reason);

/// <summary><c>core.EgressReleased</c>.</summary>
/// <param name="RequestId">The request.</param>
/// <param name="To">The status it is back in.</param>
/// <param name="By">The operator, or <c>switch:&lt;scope&gt;</c>.</param>
/// <param name="Reason">Why, as the operator gave it (or the switch released).</param>
public sealed record EgressReleased(string RequestId, string To, string By, string Reason);

/// <summary><c>core.EgressDispatched</c>.</summary>
/// <param name="RequestId">The request.</param>
/// <param name="Attempt">1 for the first dispatch.</param>
/// <param name="Worker">The claiming worker's id.</param>
/// <param name="LeaseUntil">Until when the claim holds (UTC); afterwards another worker may dispatch it again.</param>
public sealed record EgressDispatched(string RequestId, int Attempt, string Worker, DateTimeOffset LeaseUntil);

/// <summary><c>core.EgressRetryScheduled</c>.</summary>
/// <param name="RequestId">The request.</param>
/// <param name="Attempt">The attempt that did not take effect.</param>
/// <param name="StatusCode">The destination's status, 0 when none.</param>
/// <param name="Detail">Why.</param>
public sealed record EgressRetryScheduled(string RequestId, int Attempt, int StatusCode, string? Detail);

/// <summary>
/// <c>core.EgressExecuted</c> or <c>core.EgressFailed</c>: the receipt (constitution A5): approver or policy id and
/// version, the request's hash, the destination's status and the timings.
/// </summary>
/// <param name="RequestId">The request.</param>
/// <param name="RequestHash">The approved hash.</param>
/// <param name="Destination">Where it went.</param>
/// <param name="IdempotencyKey">The key sent.</param>
/// <param name="ApprovedBy">The approving actor, when a signer approved.</param>
/// <param name="ApproverKeyId">The signer's key.</param>
/// <param name="PolicyId">The approving policy, when a policy approved.</param>
/// <param name="PolicyVersion">Its version.</param>
/// <param name="StatusCode">The destination's status (0 when none was received).</param>
/// <param name="Detail">A short description.</param>
/// <param name="Attempt">The attempt this receipt closes.</param>
/// <param name="Worker">The worker that dispatched it.</param>
/// <param name="StartedAt">When the call started (UTC).</param>
/// <param name="FinishedAt">When it ended (UTC).</param>
/// <param name="DurationMs">Its duration in milliseconds.</param>
/// <param name="Approvers">Every distinct approver of the request, in order: actors, or <c>policy:&lt;id&gt;@&lt;version&gt;</c> (separation of duties).</param>
public sealed record EgressReceipt(string RequestId, string RequestHash, string Destination, string IdempotencyKey, string? ApprovedBy, string? ApproverKeyId, string? PolicyId, int? PolicyVersion, int StatusCode, string? Detail, int Attempt, string Worker, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, double DurationMs, IReadOnlyList<string>? Approvers = null);

/// <summary><c>core.EgressCompensated</c>.</summary>
/// <param name="RequestId">The request.</param>
/// <param name="From">What was offset: failed (a failure the kernel compensated, or an operator's undo of a failed request) or executed.</param>
/// <param name="By">The operator for an explicit undo, or <c>kernel</c> after a failure.</param>
/// <param name="StatusCode">The destination's status for the compensation.</param>
/// <param name="Detail">A short description from the destination.</param>
/// <param name="Reason">Why it was undone: the operator's reason, or the failure.</param>
public sealed record EgressCompensated(string RequestId, string From, string By, int StatusCode, string? Detail, string Reason);

/// <summary><c>core.EgressCompensationClaimed</c> (issue 20 item 6: compensation is leased like dispatch).</summary>
/// <param name="RequestId">The request.</param>
/// <param name="Attempt">1 for the first compensation attempt; more after a lease ended without a recorded outcome.</param>
/// <param name="Worker">The claiming worker's id.</param>
/// <param name="LeaseUntil">Until when the claim holds (UTC); afterwards another worker may compensate it again, with the same idempotency key.</param>
public sealed record EgressCompensationClaimed(string RequestId, int Attempt, string Worker, DateTimeOffset LeaseUntil);

/// <summary><c>core.EgressCompensationFailed</c>: the request is failed again, not compensated.</summary>
/// <param name="RequestId">The request.</param>
/// <param name="Attempt">The compensation attempt that ended it.</param>
/// <param name="Worker">The worker that recorded it.</param>
/// <param name="StatusCode">The destination's status for the compensation, 0 when none was received.</param>
/// <param name="Detail">Why.</param>
public sealed record EgressCompensationFailed(string RequestId, int Attempt, string Worker, int StatusCode, string? Detail);

/// <summary><c>core.EgressCredentialIssued</c>: a handle, never the value.</summary>
/// <param name="RequestId">The request it was issued for.</param>
/// <param name="Attempt">The attempt.</param>
/// <param name="SecretId">The secret's id.</param>
/// <param name="Audience">The only origin the credential is sent to.</param>
/// <param name="IssuedAt">UTC.</param>
/// <param name="ExpiresAt">UTC.</param>
public sealed record EgressCredentialIssued(string RequestId, int Attempt, string SecretId, string Audience, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt);

/// <summary><c>core.EgressSwitchEngaged</c>.</summary>
/// <param name="Scope"><c>global</c>, <c>pack:&lt;pack_id&gt;</c> or <c>destination:&lt;destination&gt;</c>.</param>
/// <param name="Reason">Why.</param>
/// <param name="By">The operator.</param>
/// <param name="Held">How many requests it held at once.</param>
public sealed record EgressSwitchEngaged(string Scope, string Reason, string By, int Held);

/// <summary><c>core.EgressSwitchReleased</c>.</summary>
/// <param name="Scope">The switch.</param>
/// <param name="By">The operator.</param>
/// <param name="Released">How many held requests went back.</param>
public sealed record EgressSwitchReleased(string Scope, string By, int Released);
