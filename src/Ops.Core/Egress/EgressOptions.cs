using System.ComponentModel.DataAnnotations;

namespace Ops.Core.Egress;

/// <summary>The egress gate's and dispatcher's settings, <c>Ops:Egress</c> (constitution A5: quotas; A3: at-least-once).</summary>
public sealed class EgressOptions
{
    /// <summary>How long a claim holds before another worker may dispatch the request again, in ms.</summary>
    /// <value>Default 30,000 ms.</value>
    [Range(100, 3_600_000)]
    public int LeaseMs { get; set; } = 30_000;

    /// <summary>Dispatch attempts before a request fails for good (its receipt says so).</summary>
    /// <value>Default 5.</value>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Wait before a request whose attempt did not take effect is dispatched again, in ms.</summary>
    /// <value>Default 5,000 ms.</value>
    [Range(0, 3_600_000)]
    public int RetryBackoffMs { get; set; } = 5_000;

    /// <summary>How often the dispatcher looks for approved requests when idle, in ms.</summary>
    /// <value>Default 1,000 ms.</value>
    [Range(10, 600_000)]
    public int PollIntervalMs { get; set; } = 1_000;

    /// <summary>Requests one claim transaction takes at most.</summary>
    /// <value>Default 16.</value>
    [Range(1, 1_000)]
    public int BatchSize { get; set; } = 16;

    /// <summary>Whether the worker runs the dispatcher (a second worker may leave it off; claims are safe either way).</summary>
    /// <value>Default true.</value>
    public bool Dispatch { get; set; } = true;

    /// <summary>This worker's id in leases and receipts; default host name and process id.</summary>
    /// <value>Default <c>&lt;machine&gt;:&lt;pid&gt;</c>.</value>
    [StringLength(128)]
    public string? WorkerId { get; set; }

    /// <summary>Per destination: where it is, its credential and its quota (<c>Ops:Egress:Destinations:&lt;destination&gt;</c>).</summary>
    /// <value>Default none.</value>
    public Dictionary<string, EgressDestinationOptions> Destinations { get; } = new(StringComparer.Ordinal);
}

/// <summary>One destination's settings.</summary>
public sealed class EgressDestinationOptions
{
    /// <summary>Its base URL; the handler's HTTP client sends only there.</summary>
    /// <value>Default none (the handler gets no client).</value>
    public Uri? BaseUrl { get; set; }

    /// <summary>The secret (<c>Ops:Secrets:&lt;id&gt;</c>) whose handle authenticates calls; none sends no credential.</summary>
    /// <value>Default none.</value>
    public string? SecretId { get; set; }

    /// <summary>The Authorization scheme of the credential.</summary>
    /// <value>Default <c>Bearer</c>.</value>
    public string Scheme { get; set; } = "Bearer";

    /// <summary>At most this many first dispatches per <see cref="QuotaWindowMs"/>; 0 for no quota.</summary>
    /// <value>Default 0.</value>
    [Range(0, int.MaxValue)]
    public int Quota { get; set; }

    /// <summary>
    /// At most this many first dispatches per <see cref="QuotaWindowMs"/> for any one tenant's requests; 0 for none. With
    /// <see cref="Quota"/> it keeps one tenant from spending every other tenant's share of a destination (seed 001,
    /// issue 20 item 1); a request over it waits, approved, like one over the destination's quota.
    /// </summary>
    /// <value>Default 0.</value>
    [Range(0, int.MaxValue)]
    public int TenantQuota { get; set; }

    /// <summary>The quota's sliding window, in ms.</summary>
    /// <value>Default 60,000 ms.</value>
    [Range(1, int.MaxValue)]
    public int QuotaWindowMs { get; set; } = 60_000;

    /// <summary>Distinct approvers a request to this destination needs before it may go out (separation of duties; a policy counts as one).</summary>
    /// <value>Default 1.</value>
    [Range(1, 10)]
    public int ApprovalsRequired { get; set; } = 1;

    /// <summary>Whether the actor whose command enqueued a request may approve it; false requires someone else (separation of duties).</summary>
    /// <value>Default true.</value>
    public bool RequesterMayApprove { get; set; } = true;

    /// <summary>Timeout of one call, in ms.</summary>
    /// <value>Default 30,000 ms.</value>
    [Range(100, 600_000)]
    public int TimeoutMs { get; set; } = 30_000;
}
