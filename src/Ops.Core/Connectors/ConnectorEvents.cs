using System.Text.Json;
using Ops.Core.Packs;

namespace Ops.Core.Connectors;

/// <summary>
/// <c>core.ConnectorCursorReset</c>: an operator reset a connector's cursor and watermark (constitution A8,
/// "backfill semantics"). The row is overwritten, never silently deleted: this event keeps what it held.
/// The next sync starts from the source's first page with no watermark (a full backfill and tombstone sweep).
/// </summary>
/// <param name="ConnectorId">The connector, <c>&lt;pack_id&gt;.&lt;name&gt;</c>.</param>
/// <param name="ActorId">Who reset it.</param>
/// <param name="CapabilityId">The capability the reset ran under.</param>
/// <param name="Reason">Why, as the operator wrote it (at most 500 characters).</param>
/// <param name="OldCursor">The cursor it held (for example a next-page URL), or <see langword="null"/>.</param>
/// <param name="OldWatermark">The watermark it held, or <see langword="null"/>.</param>
/// <param name="OldPages">Pages the last sync had stored.</param>
/// <param name="ResetAt">When (UTC, the kernel's clock).</param>
public sealed record ConnectorCursorReset(string ConnectorId, string ActorId, string? CapabilityId, string Reason, string? OldCursor, string? OldWatermark, int OldPages, DateTimeOffset ResetAt);

/// <summary>
/// <c>core.ConnectorConflictDetected</c>: a reconciliation event (constitution §2 Ingress, "reconciliation events on
/// conflicts"). The conflict, precisely: an observation of an entity whose event id is not yet in the entity's
/// stream, whose source time (occurred_at) is at or before the occurred_at of the newest event already in that
/// stream. The source then shows, for a moment already recorded, a state other than the recorded one (it went
/// back in time, changed without moving its updated_at, or shows again an entity it reported gone). The
/// observation is not appended to the entity's stream, so local state keeps the newer record; this event holds
/// the incoming payload whole, so nothing the source said is lost.
/// </summary>
/// <param name="ConnectorId">The connector.</param>
/// <param name="StreamId">The entity's stream.</param>
/// <param name="SourceNativeId">The source's id of the entity.</param>
/// <param name="Rule"><c>source_not_newer</c>, or <c>after_tombstone</c> when the newest local event is a tombstone.</param>
/// <param name="LocalEventId">The newest event of the stream.</param>
/// <param name="LocalEventType">Its type.</param>
/// <param name="LocalOccurredAt">Its occurred_at (UTC).</param>
/// <param name="IncomingEventId">The id the observation would have had.</param>
/// <param name="IncomingEventType">The observation's event type.</param>
/// <param name="IncomingOccurredAt">The observation's occurred_at (UTC).</param>
/// <param name="IncomingPayload">The observation's payload, as it would have been appended.</param>
public sealed record ConnectorConflictDetected(
    string ConnectorId,
    string StreamId,
    string SourceNativeId,
    string Rule,
    string LocalEventId,
    string LocalEventType,
    DateTimeOffset LocalOccurredAt,
    string IncomingEventId,
    string IncomingEventType,
    DateTimeOffset IncomingOccurredAt,
    JsonElement IncomingPayload);

/// <summary>Names of the connector events and actions the kernel owns.</summary>
public static class ConnectorEventTypes
{
    /// <summary><c>core.ConnectorCursorReset</c>.</summary>
    public const string CursorReset = "core.ConnectorCursorReset";

    /// <summary><c>core.ConnectorConflictDetected</c>.</summary>
    public const string ConflictDetected = "core.ConnectorConflictDetected";

    /// <summary>The capability action a reset needs, on target <c>connector:&lt;id&gt;</c> (safety class WRITE_INTERNAL).</summary>
    public const string ResetAction = "core.ResetConnectorCursor";

    /// <summary><see cref="ConnectorConflictDetected.Rule"/>: the observation is not newer than the newest local event.</summary>
    public const string SourceNotNewerRule = "source_not_newer";

    /// <summary><see cref="ConnectorConflictDetected.Rule"/>: the newest local event is the connector's tombstone.</summary>
    public const string AfterTombstoneRule = "after_tombstone";

    /// <summary>The stream of a connector's own core events (resets, conflicts): <c>core:connector-&lt;id&gt;</c>.</summary>
    /// <param name="connectorId">The connector.</param>
    /// <returns>The stream id.</returns>
    public static string StreamOf(string connectorId) => "core:connector-" + connectorId;

    /// <summary>Registers the connector events as core events (called once, from the kernel's registry factory).</summary>
    internal static void Register(IPackBuilder builder) => builder
        .AddEvent<ConnectorCursorReset>(CursorReset)
        .AddEvent<ConnectorConflictDetected>(ConflictDetected);
}
