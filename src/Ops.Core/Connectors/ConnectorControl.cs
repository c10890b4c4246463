using Microsoft.Extensions.DependencyInjection;
using Ops.Core.Commands;
using Ops.Core.Hosting;

namespace Ops.Core.Connectors;

/// <summary>
/// The operator's handle on the installed connectors (issue 10 item 4): read a connector's stored cursor and
/// watermark, and reset them. Each tenant runs its own instance of every connector (its own cursor, streams and source;
/// seed 001, issue 20 item 1), and every read and reset here is of one tenant's instance. A reset is an admin-capability action (<see cref="ConnectorEventTypes.ResetAction"/>
/// on <c>connector:&lt;id&gt;</c>) recorded as <see cref="ConnectorCursorReset"/>, never a silent delete; the next
/// sync is then a full backfill followed by a tombstone sweep. The host's CLI and HTTP API use only this type.
/// </summary>
public sealed class ConnectorControl
{
    private readonly OpsKernel _kernel;

    internal ConnectorControl(OpsKernel kernel) => _kernel = kernel;

    /// <summary>Ids of the installed connectors, <c>&lt;pack_id&gt;.&lt;name&gt;</c>, sorted ordinally.</summary>
    public IReadOnlyList<string> ConnectorIds => [.. _kernel.Registry.Connectors.Keys.Order(StringComparer.Ordinal)];


    /// <summary>
    /// The stored cursor, watermark and page count of one tenant's instance of a connector, for the operator at the
    /// database (the CLI); each tenant runs its own instance (seed 001).
    /// </summary>
    /// <param name="connectorId">The connector.</param>
    /// <param name="tenantId">The tenant whose instance.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The state; all empty when that tenant never synced it.</returns>
    /// <exception cref="Errors.OpsException">not_found: no such connector.</exception>
    public Task<ConnectorCursorState> ReadAsync(string connectorId, string tenantId, CancellationToken cancellationToken) =>
        _kernel.Connectors.ReadStateAsync(connectorId, tenantId, cancellationToken);

    /// <summary>
    /// The state of the caller's tenant's instance of a connector: each tenant runs its own (seed 001, issue 20 item 1),
    /// so reading it needs <c>core.SyncConnector</c> on <c>connector:&lt;id&gt;</c> in the caller's tenant (a refusal is
    /// recorded), and shows nothing of another tenant's.
    /// </summary>
    /// <param name="connectorId">The connector.</param>
    /// <param name="caller">Who reads it.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The state.</returns>
    /// <exception cref="Errors.OpsException">unknown_actor, capability_denied (recorded) or not_found; nothing changed.</exception>
    public async Task<ConnectorCursorState> ReadAsync(string connectorId, CallerContext caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var core = await _kernel.CoreReader.CurrentAsync(cancellationToken);
        var now = core.EnforcementTime(_kernel.Time.GetUtcNow());
        if (!core.Actors.TryGetValue(caller.Actor.Id, out var actor))
        {
            throw new Errors.OpsException(Errors.ReasonCodes.UnknownActor, $"Actor '{caller.Actor.Id}' is not registered. Nothing was read.");
        }

        var decision = Capabilities.CapabilityEvaluator.FindFor(core, caller.Actor.Id, ConnectorRunner.SyncActionType, "connector:" + connectorId, Envelopes.SafetyClass.WriteInternal, now);
        if (!decision.Allowed)
        {
            await _kernel.Safety.RecordAsync(new Safety.SafetyDecision(caller.Route ?? "connector read", caller.Actor.Id, actor.TenantId, null, Errors.ReasonCodes.CapabilityDenied, decision.Reason!) { ObjectRef = "connector:" + connectorId }, cancellationToken);
            throw new Errors.OpsException(Errors.ReasonCodes.CapabilityDenied, $"Reading connector {connectorId}'s state needs {ConnectorRunner.SyncActionType} on connector:{connectorId}: {decision.Reason}. Nothing was read.");
        }

        return await _kernel.Connectors.ReadStateAsync(connectorId, actor.TenantId, cancellationToken);
    }

    /// <summary>Resets the caller's tenant's instance of a connector (cursor and watermark), recording who, what they held and why.</summary>
    /// <param name="connectorId">The connector.</param>
    /// <param name="caller">Who resets it (needs the reset capability).</param>
    /// <param name="reason">Why, 1 to 500 characters; recorded in the log.</param>
    /// <param name="cancellationToken">Cancels the reset (before its transaction commits).</param>
    /// <returns>The recorded event and what the cursor held.</returns>
    /// <exception cref="Errors.OpsException">not_found, bad_request, unknown_actor, actor_disabled or capability_denied; nothing changed.</exception>
    public Task<ConnectorResetResult> ResetAsync(string connectorId, CallerContext caller, string reason, CancellationToken cancellationToken) =>
        _kernel.Connectors.ResetAsync(connectorId, caller, reason, cancellationToken);
}

/// <summary>A connector's stored cursor row.</summary>
/// <param name="ConnectorId">The connector.</param>
/// <param name="Cursor">Where an interrupted sync resumes (for example a next-page URL); <see langword="null"/> between syncs.</param>
/// <param name="Watermark">The newest source time stored (for github.issues an ISO 8601 <c>updated_at</c>, sent as <c>since</c>).</param>
/// <param name="Pages">Pages the last sync stored.</param>
/// <param name="UpdatedAt">When the row was last written (UTC), or <see langword="null"/> when it never was.</param>
/// <param name="CompletedAt">When the last sync completed (UTC), or <see langword="null"/>.</param>
public sealed record ConnectorCursorState(string ConnectorId, string? Cursor, string? Watermark, int Pages, DateTimeOffset? UpdatedAt, DateTimeOffset? CompletedAt);

/// <summary>What a reset recorded.</summary>
/// <param name="ConnectorId">The connector.</param>
/// <param name="EventId">The <c>core.ConnectorCursorReset</c> event.</param>
/// <param name="Position">Its log position.</param>
/// <param name="OldCursor">The cursor it held.</param>
/// <param name="OldWatermark">The watermark it held.</param>
/// <param name="OldPages">Pages it held.</param>
/// <param name="ResetAt">When (UTC).</param>
public sealed record ConnectorResetResult(string ConnectorId, string EventId, long Position, string? OldCursor, string? OldWatermark, int OldPages, DateTimeOffset ResetAt);
