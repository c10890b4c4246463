using System.Text.Json;
using System.Text.Json.Nodes;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Log;
using Ops.Core.Storage;

namespace Ops.Core.Egress;

/// <summary>
/// Statuses of an egress request (constitution A9: pending → approved → dispatched → executed | failed; plus held,
/// rejected, compensated). A request that fails for good moves on to compensating in the transaction that records its
/// failure: its compensation is due and leased like a dispatch (issue 20 item 6), then compensated, or back to failed
/// when the hook gives up.
/// </summary>
internal static class EgressStatus
{
    public const string Pending = "pending";
    public const string Approved = "approved";
    public const string Dispatched = "dispatched";
    public const string Executed = "executed";
    public const string Failed = "failed";
    public const string Held = "held";
    public const string Rejected = "rejected";
    public const string Compensated = "compensated";

    /// <summary>Failed for good and its compensation is due: held under a worker's lease, swept by any worker when the lease ends.</summary>
    public const string Compensating = "compensating";
}

/// <summary>Appends a request's events beside its conditional moves, in the writer's transaction.</summary>
[Authority(AuthorityClass.LogAppender, "events", "egress_requests")]
internal static class EgressLog
{
    /// <summary>The kernel's own actor for the dispatcher's moves.</summary>
    public static readonly ActorRef Dispatcher = new("ops-egress", ActorKind.Service);

    /// <summary>
    /// Enqueues the request of a committed WRITE_EXTERNAL_SIDE_EFFECT command (constitution A9: atomic with the
    /// command's events, in its transaction) and appends <c>core.EgressRequested</c>. A replayed command enqueues nothing twice.
    /// </summary>
    public static async ValueTask<EgressRow> EnqueueAsync(WriteSession session, string packId, string destination, string commandType, string commandId, IdentityScope scope, ActorRef actor, JsonElement payload, string previewHash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var requestId = DeterministicIds.Derive("egress-request", commandId);
        var tenant = scope.TenantId;
        var key = DeterministicIds.Derive("egress", destination, tenant, requestId);
        var request = new JsonObject
        {
            ["request_id"] = requestId,
            ["command_id"] = commandId,
            ["command_type"] = commandType,
            ["pack_id"] = packId,
            ["destination"] = destination,
            ["tenant_id"] = tenant,
            ["idempotency_key"] = key,
            ["preview_hash"] = previewHash,
            ["payload"] = JsonNode.Parse(payload.GetRawText()),
        };
        var bytes = CanonicalJson.SerializeToCanonical(request);
        var hash = ContentHash.Of(bytes);
        var ticks = now.UtcTicks;
        var row = new EgressRow(requestId, tenant, packId, destination, commandType, commandId, key, hash, bytes, EgressStatus.Pending, null, 0, null, null, ticks, ticks, null);
        if (await session.Transaction.Outbox.TryEnqueueAsync(row, cancellationToken))
        {
            using var document = JsonDocument.Parse(bytes);
            await AppendAsync(session, row, EgressEventTypes.Requested, new EgressRequested(requestId, commandId, commandType, packId, destination, tenant, key, hash, document.RootElement.Clone()), actor, scope.Mode, now, cancellationToken);
        }

        return row;
    }

    /// <summary>Appends one event to the request's stream, strictly after its last one (canonical order keeps stream order).</summary>
    public static async ValueTask<LoggedEvent> AppendAsync(WriteSession session, EgressRow row, string eventType, object payload, ActorRef actor, string mode, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var stream = EgressEventTypes.StreamOf(row.RequestId);
        var last = await session.LastOccurredAtAsync(stream, cancellationToken);
        var at = last is { } previous && previous >= now ? previous.AddTicks(1) : now;
        var version = await session.StreamVersionAsync(stream, cancellationToken);
        var scope = new IdentityScope(row.TenantId, mode, null, "egress");
        var draft = EventDraft.Create(
            eventType, 1, EventDraft.Payload(payload), "egress:" + row.RequestId, $"{eventType}#{version + 1}", version + 1, at,
            new Causation(row.CommandId, row.CommandId, CausationType.Command), actor, null, null, scope, stream);
        var appended = await session.AppendAsync(stream, version, [draft], cancellationToken);
        Hosting.OpsTelemetry.EgressEvents.Add(1, new KeyValuePair<string, object?>("event_type", eventType));
        return appended[0].Event;
    }

    /// <summary>Appends a kill switch event, in the switch's tenant (seed 001: every record carries its tenant), or <c>system</c> for a root switch that spans tenants.</summary>
    public static async ValueTask AppendSwitchAsync(WriteSession session, string eventType, object payload, string scope, ActorRef actor, string mode, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var stream = EgressEventTypes.SwitchStream;
        var last = await session.LastOccurredAtAsync(stream, cancellationToken);
        var at = last is { } previous && previous >= now ? previous.AddTicks(1) : now;
        var version = await session.StreamVersionAsync(stream, cancellationToken);
        var draft = EventDraft.Create(
            eventType, 1, EventDraft.Payload(payload), "egress:switches", $"{eventType}#{version + 1}", version + 1, at,
            new Causation("egress-switches", null, null), actor, null, null, new IdentityScope(SplitScope(scope).Tenant ?? "system", mode, null, "egress"), stream);
        await session.AppendAsync(stream, version, [draft], cancellationToken);
    }

    /// <summary>Whether a switch scope covers a request; <c>tenant:&lt;t&gt;/&lt;scope&gt;</c> covers only tenant t's requests.</summary>
    public static bool Covers(string scope, EgressRow row)
    {
        var (tenant, inner) = SplitScope(scope);
        return (tenant is null || tenant == row.TenantId)
            && (inner == "global" || inner == "pack:" + row.PackId || inner == "destination:" + row.Destination);
    }

    /// <summary>The one reading of a stored switch scope: its tenant (null for a root switch, which spans tenants) and the scope within it.</summary>
    public static (string? Tenant, string Inner) SplitScope(string scope) =>
        scope.StartsWith(TenantPrefix, StringComparison.Ordinal) && scope.IndexOf('/', StringComparison.Ordinal) is var slash and > 7
            ? (scope[TenantPrefix.Length..slash], scope[(slash + 1)..])
            : (null, scope);

    /// <summary>The stored scope of a switch that holds only <paramref name="tenant"/>'s requests.</summary>
    public static string TenantScope(string tenant, string scope) => $"{TenantPrefix}{tenant}/{scope}";

    private const string TenantPrefix = "tenant:";

    /// <summary>The payload the pack's command carried.</summary>
    public static JsonElement PayloadOf(EgressRow row)
    {
        using var document = JsonDocument.Parse(row.Request);
        return document.RootElement.GetProperty("payload").Clone();
    }
}
