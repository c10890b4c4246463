namespace Ops.Core.Storage;

/// <summary>One egress request as the outbox stores it (constitution A3, A5, A9).</summary>
/// <param name="RequestId">64 hex, derived from the command id.</param>
/// <param name="TenantId">Tenant of the requesting actor; part of the dedupe scope.</param>
/// <param name="PackId">The pack whose command asked for it.</param>
/// <param name="Destination">Where it goes, for example <c>github</c>; part of the dedupe scope.</param>
/// <param name="CommandType">The WRITE_EXTERNAL_SIDE_EFFECT command.</param>
/// <param name="CommandId">The command.</param>
/// <param name="IdempotencyKey">64 hex over ('egress', destination, tenant_id, request_id): sent as <c>Idempotency-Key</c> on every attempt.</param>
/// <param name="RequestHash">SHA-256 (64 hex) of <paramref name="Request"/>: what an approver signs.</param>
/// <param name="Request">Canonical JSON of the request (the command's payload and what it will send).</param>
/// <param name="Status">pending, approved, dispatched, executed, failed, compensating, held, rejected or compensated.</param>
/// <param name="HeldFrom">While held, the status it returns to on release.</param>
/// <param name="Attempts">Dispatch attempts so far.</param>
/// <param name="LeaseOwner">The worker holding the dispatch lease.</param>
/// <param name="LeaseUntilTicks">When the lease ends (UTC ticks); afterwards another worker may claim it again.</param>
/// <param name="CreatedAtTicks">Enqueued (UTC ticks).</param>
/// <param name="UpdatedAtTicks">Last move (UTC ticks).</param>
/// <param name="DispatchedAtTicks">First dispatch (UTC ticks), what quotas count.</param>
public sealed record EgressRow(
    string RequestId,
    string TenantId,
    string PackId,
    string Destination,
    string CommandType,
    string CommandId,
    string IdempotencyKey,
    string RequestHash,
    byte[] Request,
    string Status,
    string? HeldFrom,
    int Attempts,
    string? LeaseOwner,
    long? LeaseUntilTicks,
    long CreatedAtTicks,
    long UpdatedAtTicks,
    long? DispatchedAtTicks);

/// <summary>A conditional move of one request from <see cref="From"/> to <see cref="To"/>.</summary>
/// <param name="RequestId">The request.</param>
/// <param name="From">The status it must be in.</param>
/// <param name="To">The status it moves to.</param>
/// <param name="AtTicks">When (UTC ticks).</param>
public sealed record EgressMove(string RequestId, string From, string To, long AtTicks)
{
    /// <summary>The status to return to on release (set when moving to held; cleared otherwise).</summary>
    public string? HeldFrom { get; init; }

    /// <summary>The claiming worker (set when moving to dispatched; cleared otherwise).</summary>
    public string? LeaseOwner { get; init; }

    /// <summary>End of the claim's lease (UTC ticks).</summary>
    public long? LeaseUntilTicks { get; init; }

    /// <summary>Only when the current lease ended at or before this instant (a re-claim of a dispatched request).</summary>
    public long? LeaseExpiredByTicks { get; init; }

    /// <summary>Only when the lease is held by this worker (acknowledging its own dispatch).</summary>
    public string? RequireLeaseOwner { get; init; }

    /// <summary>Counts one more dispatch attempt and stamps the first dispatch time.</summary>
    public bool Dispatch { get; init; }
}

/// <summary>An engaged kill switch.</summary>
/// <param name="Scope"><c>global</c>, <c>pack:&lt;pack_id&gt;</c> or <c>destination:&lt;destination&gt;</c>.</param>
/// <param name="Reason">Why it was engaged.</param>
/// <param name="EngagedAtTicks">When (UTC ticks).</param>
public sealed record EgressSwitch(string Scope, string Reason, long EngagedAtTicks);
