using System.Text.Json;
using Microsoft.Extensions.Logging;
using Ops.Core.Capabilities;
using Ops.Core.Commands;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Core.Log;
using Ops.Core.Packs;
using Ops.Core.Secrets;
using Ops.Core.Storage;

namespace Ops.Core.Connectors;

/// <summary>
/// Runs ingress connectors (constitution A8): pulls pages, turns observations into events with
/// deterministic ids (so a replay of the same cursor appends nothing new), and stores the cursor and
/// watermark in the same transaction as the page's events, conditionally: a page is stored only if the
/// cursor row still holds what this run last read or wrote (a reset or a second sync in between stops the
/// run, nothing of that page stored). A sync interrupted mid-way resumes from the stored cursor; a
/// completed sync starts the next one from the beginning, with the watermark for incremental fetches.
/// An observation that conflicts with the entity's newest local event becomes a
/// <see cref="ConnectorConflictDetected"/> instead (rule there). A full sync of an
/// <see cref="IRecheckingConnector"/> ends with a tombstone sweep.
/// </summary>
[Authority(AuthorityClass.LogAppender, "events", "connector_cursors")]
internal sealed class ConnectorRunner(KernelRegistry registry, LogWriter writer, CoreStateReader coreReader, IEventStore store, SecretsProvider secrets, Safety.SafetyRecorder safety, KernelOptions options, TimeProvider time, ILogger logger)
{
    public const string SyncActionType = "core.SyncConnector";
    private const int MaxPages = 10_000;
    private const int MaxReasonLength = 500;

    /// <summary>A refused sync or reset is recorded on the safety stream like any refusal (seed 001), then thrown.</summary>
    private async Task RecordDenialAsync(CallerContext caller, string? tenantId, string what, string code, string reason, CancellationToken cancellationToken) =>
        await safety.RecordAsync(new Safety.SafetyDecision(caller.Route ?? what, caller.Actor.Id, tenantId, null, code, reason), cancellationToken);

    public async Task<SyncResult> SyncAsync(string connectorId, CallerContext caller, IProgress<SyncResult>? progress, CancellationToken cancellationToken)
    {
        if (!registry.Connectors.TryGetValue(connectorId, out var registration))
        {
            throw new ConnectorException(connectorId, $"no connector '{connectorId}' is installed; installed: {string.Join(", ", registry.Connectors.Keys)}.");
        }

        var core = await coreReader.CurrentAsync(cancellationToken);
        var start = core.EnforcementTime(time.GetUtcNow());
        if (!core.Actors.TryGetValue(caller.Actor.Id, out var actor) || core.ActorInvalidReason(actor.ActorId, start) is not null)
        {
            var reason = $"actor '{caller.Actor.Id}' cannot act ({core.ActorInvalidReason(caller.Actor.Id, start)})";
            await RecordDenialAsync(caller, actor?.TenantId, "sync " + connectorId, actor is null ? ReasonCodes.UnknownActor : ReasonCodes.ActorDisabled, reason, cancellationToken);
            throw new ConnectorDeniedException(connectorId, reason);
        }

        var capability = CapabilityEvaluator.FindFor(core, actor.ActorId, SyncActionType, "connector:" + connectorId, SafetyClass.WriteInternal, start);
        if (!capability.Allowed)
        {
            await RecordDenialAsync(caller, actor.TenantId, "sync " + connectorId, ReasonCodes.CapabilityDenied, capability.Reason!, cancellationToken);
            throw new ConnectorDeniedException(connectorId, capability.Reason!);
        }

        var runId = DeterministicIds.Derive("sync", connectorId, actor.ActorId, OpsJson.FormatInstant(start));
        // Each tenant runs its own instance (seed 001, issue 20 item 1): its own cursor, streams and source, so one tenant's
        // sync, sweep or reset never reads or moves another's.
        var instance = InstanceOf(connectorId, actor.TenantId);
        var scope = new IdentityScope(actor.TenantId, options.Mode, actor.ActorId, caller.SurfaceId, null, runId);
        var connectorActor = new ActorRef(connectorId, ActorKind.Service);
        var state = await writer.ExecuteAsync((session, ct) => ReadCursorAsync(session, instance, ct), cancellationToken);
        var context = new PullContext(connectorId, time, secrets, writer, scope, connectorActor, capability, runId);
        var connector = registration.Create();
        var run = new Run(registration, instance, actor.TenantId, scope, connectorActor, capability, runId, state.Cursor is null && state.Watermark is null, (connector as IRecheckingConnector)?.TombstoneEventType);
        var result = new SyncResult(connectorId, 0, 0, 0, state.Cursor, state.Watermark, false);
        var cursor = state.Cursor;
        var expected = state;
        for (var page = 1; page <= MaxPages; page++)
        {
            context.CursorValue = cursor;
            context.WatermarkValue = result.Watermark;
            ConnectorPage pulled;
            try
            {
                pulled = await connector.PullAsync(context, cancellationToken);
            }
            catch (Exception ex) when (IsSourceFailure(ex))
            {
                throw new ConnectorException(connectorId, $"page {page} failed: {ex.Message} Pages before it are stored; the next sync resumes at the stored cursor.", ex);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && Packs.PackFaults.IsPack(registration.Owner))
            {
                throw new OpsException(ReasonCodes.PackFault, Packs.PackFaults.Caught(logger, registration.Owner, $"its connector {connectorId} (page {page})", ex) + " Pages before it are stored; the next sync resumes at the stored cursor.", ex);
            }

            var drafts = pulled.Observations.Select(o => ToDraft(run, o)).ToList();
            var watermark = pulled.Watermark ?? result.Watermark;
            var written = await writer.ExecuteAsync(
                async (session, ct) =>
                {
                    await RequireUnchangedAsync(session, instance, expected, ct);
                    var counts = await AppendAllAsync(session, run, drafts, sweep: false, ct);
                    await WriteCursorAsync(session, instance, pulled.NextCursor, watermark, page, ct);
                    return counts;
                },
                cancellationToken);
            expected = (pulled.NextCursor, watermark);
            ConnectorLog.Page(logger, connectorId, page, drafts.Count, written.Appended, written.Conflicts);
            result = result with
            {
                Pages = page,
                Observed = result.Observed + drafts.Count,
                Appended = result.Appended + written.Appended,
                Conflicts = result.Conflicts + written.Conflicts,
                Cursor = pulled.NextCursor,
                Watermark = watermark,
                Completed = pulled.NextCursor is null,
            };
            foreach (var (streamId, _, _) in drafts)
            {
                run.Observed.Add(streamId);
            }

            progress?.Report(result);
            if (pulled.NextCursor is null)
            {
                if (run.Full && connector is IRecheckingConnector rechecking)
                {
                    result = await SweepAsync(rechecking, context, run, result, cancellationToken);
                    progress?.Report(result);
                }

                return result;
            }

            cursor = pulled.NextCursor;
        }

        throw new ConnectorException(connectorId, $"stopped after {MaxPages} pages without reaching the end; the cursor is stored and the next sync continues from it.");
    }

    /// <summary>
    /// Resets a connector's cursor and watermark to nothing, recording <see cref="ConnectorCursorReset"/> (who,
    /// what it held, why) in the same transaction as the overwrite. Needs <see cref="ConnectorEventTypes.ResetAction"/>
    /// on <c>connector:&lt;id&gt;</c>.
    /// </summary>
    /// <exception cref="OpsException">not_found, bad_request, unknown_actor, actor_disabled or capability_denied; nothing changed.</exception>
    public async Task<ConnectorResetResult> ResetAsync(string connectorId, CallerContext caller, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!registry.Connectors.ContainsKey(connectorId))
        {
            throw new OpsException(ReasonCodes.NotFound, $"No connector '{connectorId}' is installed; installed: {string.Join(", ", registry.Connectors.Keys)}. Nothing was changed.");
        }

        var why = reason?.Trim();
        if (string.IsNullOrEmpty(why) || why.Length > MaxReasonLength)
        {
            throw new OpsException(ReasonCodes.BadRequest, $"A reset needs a reason of 1 to {MaxReasonLength} characters (it is recorded in the log). Nothing was changed.");
        }

        var core = await coreReader.CurrentAsync(cancellationToken);
        var now = core.EnforcementTime(time.GetUtcNow());
        if (!core.Actors.TryGetValue(caller.Actor.Id, out var actor))
        {
            await RecordDenialAsync(caller, null, "reset " + connectorId, ReasonCodes.UnknownActor, $"actor '{caller.Actor.Id}' is not registered", cancellationToken);
            throw new OpsException(ReasonCodes.UnknownActor, $"Actor '{caller.Actor.Id}' is not registered. Nothing was changed.");
        }

        if (core.ActorInvalidReason(actor.ActorId, now) is { } invalid)
        {
            await RecordDenialAsync(caller, actor.TenantId, "reset " + connectorId, ReasonCodes.ActorDisabled, $"actor '{actor.ActorId}' cannot act ({invalid})", cancellationToken);
            throw new OpsException(ReasonCodes.ActorDisabled, $"Actor '{actor.ActorId}' cannot act ({invalid}). Nothing was changed.");
        }

        // A reset moves only the caller's tenant's instance of the connector (seed 001, issue 20 item 1).
        var capability = CapabilityEvaluator.FindFor(core, actor.ActorId, ConnectorEventTypes.ResetAction, "connector:" + connectorId, SafetyClass.WriteInternal, now);
        var instance = InstanceOf(connectorId, actor.TenantId);
        if (!capability.Allowed)
        {
            await RecordDenialAsync(caller, actor.TenantId, "reset " + connectorId, ReasonCodes.CapabilityDenied, capability.Reason!, cancellationToken);
            throw new OpsException(ReasonCodes.CapabilityDenied, $"Resetting connector {connectorId} needs {ConnectorEventTypes.ResetAction} on connector:{connectorId}: {capability.Reason}. Nothing was changed.");
        }

        var result = await writer.ExecuteAsync(
            async (session, ct) =>
            {
                var stored = await session.Transaction.ReadCursorAsync(instance, ct);
                var reset = new ConnectorCursorReset(connectorId, actor.ActorId, capability.CapabilityId, why, stored?.Cursor, stored?.Watermark, stored?.Pages ?? 0, now);
                var streamId = ConnectorEventTypes.StreamOf(instance);
                var nativeId = DeterministicIds.Derive("connector-reset", connectorId, actor.ActorId, OpsJson.FormatInstant(now), stored?.Cursor ?? string.Empty, stored?.Watermark ?? string.Empty, why);
                var scope = new IdentityScope(actor.TenantId, options.Mode, actor.ActorId, caller.SurfaceId, null, nativeId);
                var appended = await session.AppendAsync(streamId, null, [EventDraft.Create(
                    ConnectorEventTypes.CursorReset, 1, EventDraft.Payload(reset), "admin:" + actor.ActorId, nativeId, null, now,
                    new Causation(nativeId, nativeId, CausationType.UserAction), caller.Actor, capability.CapabilityId, capability.StateRef, scope, streamId)], ct);
                await session.Transaction.WriteCursorAsync(new ConnectorCursor(instance, null, null, 0, session.Time.GetUtcNow().UtcTicks, null), ct);
                var logged = appended[0].Event;
                return new ConnectorResetResult(connectorId, logged.Envelope.EventId, logged.Position, reset.OldCursor, reset.OldWatermark, reset.OldPages, now);
            },
            cancellationToken);
        ConnectorLog.Reset(logger, connectorId, actor.ActorId, capability.CapabilityId, why);
        return result;
    }

    /// <summary>The stored cursor row of <paramref name="tenantId"/>'s instance, or an empty state when it never synced.</summary>
    /// <exception cref="OpsException">not_found: no such connector.</exception>
    public async Task<ConnectorCursorState> ReadStateAsync(string connectorId, string tenantId, CancellationToken cancellationToken)
    {
        if (!registry.Connectors.ContainsKey(connectorId))
        {
            throw new OpsException(ReasonCodes.NotFound, $"No connector '{connectorId}' is installed; installed: {string.Join(", ", registry.Connectors.Keys)}.");
        }

        var stored = await writer.ExecuteAsync((session, ct) => session.Transaction.ReadCursorAsync(InstanceOf(connectorId, tenantId), ct), cancellationToken);
        return stored is null
            ? new ConnectorCursorState(connectorId, null, null, 0, null, null)
            : new ConnectorCursorState(connectorId, stored.Cursor, stored.Watermark, stored.Pages, new DateTimeOffset(stored.UpdatedAtTicks, TimeSpan.Zero), stored.CompletedAtTicks is { } done ? new DateTimeOffset(done, TimeSpan.Zero) : null);
    }

    private static bool IsSourceFailure(Exception ex) =>
        ex is HttpRequestException or JsonException or InvalidOperationException or TaskCanceledException or TimeoutException
        // A kernel refusal the connector ran into: a secret not configured, a request that is not a GET.
        or OpsException;

    /// <summary>
    /// The tombstone sweep after a full sync: every entity this connector recorded that the sync did not
    /// observe, newest event not the tombstone, is re-fetched once; what comes back is appended as any
    /// observation is (so a tombstone of an entity seen again later is a conflict, and an unchanged one a duplicate).
    /// </summary>
    private async Task<SyncResult> SweepAsync(IRecheckingConnector connector, PullContext context, Run run, SyncResult result, CancellationToken cancellationToken)
    {
        var prefix = CommandRegistration.StreamPrefixOf(run.Registration.Owner) + TenantStreamPrefix(run.TenantId);
        var sourceRef = "connector:" + run.Instance;
        var newest = new Dictionary<string, EventEnvelope>(StringComparer.Ordinal);
        await foreach (var logged in store.ReadStreamsWithPrefixAsync(prefix, cancellationToken))
        {
            if (logged.Envelope.SourceRef == sourceRef)
            {
                newest[logged.Envelope.StreamId] = logged.Envelope;
            }
        }

        var candidates = newest.Values
            .Where(e => !run.Observed.Contains(e.StreamId) && e.EventType != connector.TombstoneEventType)
            .OrderBy(e => e.StreamId, StringComparer.Ordinal)
            .Select(e => new KnownEntity(e.StreamId[prefix.Length..], e.EventType, e.EventId, e.OccurredAt, e.Payload))
            .ToList();
        context.CursorValue = null;
        var rechecked = 0;
        foreach (var entity in candidates)
        {
            Observation? observation;
            try
            {
                observation = await connector.RecheckAsync(context, entity, cancellationToken);
            }
            catch (Exception ex) when (IsSourceFailure(ex))
            {
                throw new ConnectorException(run.Registration.Id, $"the tombstone sweep failed at {entity.StreamKey}: {ex.Message} The sync's pages and the sweep's results before it are stored; reset the connector to sweep again.", ex);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && Packs.PackFaults.IsPack(run.Registration.Owner))
            {
                throw new OpsException(ReasonCodes.PackFault, Packs.PackFaults.Caught(logger, run.Registration.Owner, $"the tombstone sweep of its connector {run.Registration.Id} at {entity.StreamKey}", ex) + " The sync's pages and the sweep's results before it are stored; reset the connector to sweep again.", ex);
            }

            rechecked++;
            if (observation is null)
            {
                continue;
            }

            var draft = ToDraft(run, observation);
            var written = await writer.ExecuteAsync((session, ct) => AppendAllAsync(session, run, [draft], sweep: true, ct), cancellationToken);
            result = result with
            {
                Observed = result.Observed + 1,
                Appended = result.Appended + written.Appended,
                Conflicts = result.Conflicts + written.Conflicts,
                Tombstones = result.Tombstones + (observation.EventType == connector.TombstoneEventType ? written.Appended : 0),
            };
        }

        ConnectorLog.Sweep(logger, run.Registration.Id, candidates.Count, rechecked, result.Tombstones);
        return result with { Rechecked = rechecked };
    }

    /// <summary>Appends each draft unless it conflicts with its stream's newest event (see <see cref="ConnectorConflictDetected"/>).</summary>
    private static async ValueTask<(int Appended, int Conflicts)> AppendAllAsync(WriteSession session, Run run, IReadOnlyList<(string StreamId, EventEnvelope Draft, string NativeId)> drafts, bool sweep, CancellationToken cancellationToken)
    {
        var appended = 0;
        var conflicts = 0;
        foreach (var (streamId, draft, nativeId) in drafts)
        {
            var existing = await session.ReadStreamAsync(streamId, cancellationToken);
            var latest = existing.Count > 0 ? existing[^1].Envelope : null;
            var known = existing.Any(e => e.Envelope.EventId == draft.EventId);
            // A sweep's tombstone carries the entity's last known time (the delete's own is unknown), so it is exempt.
            var exempt = sweep && draft.EventType == run.TombstoneType;
            if (latest is not null && !known && !exempt && draft.OccurredAt <= latest.OccurredAt)
            {
                var added = await session.AppendAsync(ConnectorEventTypes.StreamOf(run.Instance), null, [ConflictDraft(run, streamId, nativeId, draft, latest)], cancellationToken);
                conflicts += added.Count(a => !a.Duplicate);
                continue;
            }

            var appendedEvents = await session.AppendAsync(streamId, null, [draft], cancellationToken);
            appended += appendedEvents.Count(a => !a.Duplicate);
        }

        return (appended, conflicts);
    }

    private static EventEnvelope ConflictDraft(Run run, string streamId, string nativeId, EventEnvelope incoming, EventEnvelope latest)
    {
        var isTombstone = latest.EventType == run.TombstoneType;
        var conflict = new ConnectorConflictDetected(
            run.Registration.Id, streamId, nativeId, isTombstone ? ConnectorEventTypes.AfterTombstoneRule : ConnectorEventTypes.SourceNotNewerRule,
            latest.EventId, latest.EventType, latest.OccurredAt, incoming.EventId, incoming.EventType, incoming.OccurredAt, incoming.Payload);
        var streamOfConnector = ConnectorEventTypes.StreamOf(run.Instance);
        // Deterministic: the same pair of events gives the same conflict id, so a replay appends nothing.
        return EventDraft.Create(
            ConnectorEventTypes.ConflictDetected, 1, EventDraft.Payload(conflict), "connector:" + run.Instance, "conflict:" + incoming.EventId + ":" + latest.EventId, null, incoming.OccurredAt,
            new Causation(run.RunId, run.RunId, CausationType.UserAction), run.Actor, run.Capability.CapabilityId, run.Capability.StateRef, run.Scope, streamOfConnector);
    }

    private (string StreamId, EventEnvelope Draft, string NativeId) ToDraft(Run run, Observation o)
    {
        var registration = run.Registration;
        if (!registry.Events.TryGetValue(o.EventType, out var eventType) || eventType.Owner != registration.Owner)
        {
            throw new ConnectorException(registration.Id, $"observation type {o.EventType} is not an event registered by '{registration.Owner}'.");
        }

        if (o.Payload.GetType() != eventType.PayloadType)
        {
            throw new ConnectorException(registration.Id, $"observation of {o.EventType} carries {o.Payload.GetType().Name}, not the registered {eventType.PayloadType.Name}.");
        }

        var streamId = CommandRegistration.StreamPrefixOf(registration.Owner) + TenantStreamPrefix(run.TenantId) + o.StreamKey;
        return (streamId, EventDraft.Create(
            o.EventType, eventType.SchemaVersion, JsonSerializer.SerializeToElement(o.Payload, eventType.PayloadType, OpsJson.Options), "connector:" + run.Instance, o.SourceNativeId, o.SourceSequence, o.OccurredAt,
            new Causation(run.RunId, run.RunId, CausationType.UserAction), run.Actor, run.Capability.CapabilityId, run.Capability.StateRef, run.Scope, streamId), o.SourceNativeId);
    }

    private static async ValueTask<(string? Cursor, string? Watermark)> ReadCursorAsync(WriteSession session, string connectorId, CancellationToken cancellationToken) =>
        await session.Transaction.ReadCursorAsync(connectorId, cancellationToken) is { } stored ? (stored.Cursor, stored.Watermark) : (null, null);

    /// <summary>The conditional half of the cursor write: the row must still hold what this run last read or wrote.</summary>
    private static async ValueTask RequireUnchangedAsync(WriteSession session, string connectorId, (string? Cursor, string? Watermark) expected, CancellationToken cancellationToken)
    {
        var stored = await ReadCursorAsync(session, connectorId, cancellationToken);
        if (stored != expected)
        {
            throw new ConnectorException(connectorId, "the cursor changed while this sync ran (a reset, or another sync of the same connector); this page was not stored. Sync again: it starts from the stored cursor.");
        }
    }

    private static ValueTask WriteCursorAsync(WriteSession session, string connectorId, string? cursor, string? watermark, int page, CancellationToken cancellationToken)
    {
        var now = session.Time.GetUtcNow().UtcTicks;
        return session.Transaction.WriteCursorAsync(new ConnectorCursor(connectorId, cursor, watermark, page, now, cursor is null ? now : null), cancellationToken);
    }

    /// <summary>
    /// The key of one tenant's instance of a connector, <c>&lt;connector_id&gt;@&lt;tenant&gt;</c>: its cursor row, its own
    /// stream (resets, conflicts) and the source_ref of what it ingests, so equal observations in two tenants are two events.
    /// </summary>
    internal static string InstanceOf(string connectorId, string tenantId) => connectorId + "@" + tenantId;

    /// <summary>What an instance's entity streams start with after the pack's prefix: the stream key's tenant part.</summary>
    internal static string TenantStreamPrefix(string tenantId) => tenantId + "/";

    private sealed record Run(ConnectorRegistration Registration, string Instance, string TenantId, IdentityScope Scope, ActorRef Actor, CapabilityDecision Capability, string RunId, bool Full, string? TombstoneType)
    {
        /// <summary>Streams observed by this run's pages; the sweep leaves them out.</summary>
        public HashSet<string> Observed { get; } = new(StringComparer.Ordinal);
    }

    private sealed class PullContext(string connectorId, TimeProvider time, SecretsProvider secrets, LogWriter writer, IdentityScope scope, ActorRef actor, CapabilityDecision capability, string runId) : ConnectorPullContext
    {
        private readonly Dictionary<string, HttpClient> _clients = new(StringComparer.Ordinal);

        public override string ConnectorId => connectorId;

        public override string? Cursor => CursorValue;

        public override string? Watermark => WatermarkValue;

        public override TimeProvider Time => time;

        public string? CursorValue { get; set; }

        public string? WatermarkValue { get; set; }

        public override async ValueTask<HttpClient> CreateHttpClientAsync(string secretId, Uri audience, string scheme, CancellationToken cancellationToken)
        {
            var key = $"{secretId}|{audience}|{scheme}";
            if (_clients.TryGetValue(key, out var existing))
            {
                return existing;
            }

            var handle = secrets.Issue(secretId, audience, scheme);
            var receipt = new SecretHandleIssued(
                DeterministicIds.Derive("secret-handle", runId, secretId, audience.ToString()),
                secretId,
                scheme,
                audience.GetLeftPart(UriPartial.Authority),
                "connector:" + connectorId,
                connectorId,
                handle.IssuedAt,
                handle.ExpiresAt,
                capability.CapabilityId);
            await writer.ExecuteAsync((session, ct) => AppendReceiptAsync(session, receipt, ct), cancellationToken);
            var client = secrets.CreateClient(handle);
            _clients[key] = client;
            return client;
        }

        private async ValueTask<bool> AppendReceiptAsync(WriteSession session, SecretHandleIssued receipt, CancellationToken cancellationToken)
        {
            var streamId = "core:secret-" + receipt.SecretId;
            await session.AppendAsync(streamId, null, [EventDraft.Create(
                CoreEventTypes.SecretHandleIssued, 1, EventDraft.Payload(receipt), "secrets:" + receipt.SecretId, receipt.HandleId, null, receipt.IssuedAt,
                new Causation(runId, runId, CausationType.UserAction), actor, capability.CapabilityId, capability.StateRef, scope, streamId)], cancellationToken);
            return true;
        }
    }
}

/// <summary>How a sync went: pages pulled, observations seen, events newly appended.</summary>
/// <param name="ConnectorId">The connector.</param>
/// <param name="Pages">Pages pulled in this run.</param>
/// <param name="Observed">Observations seen.</param>
/// <param name="Appended">Events newly appended (observations already in the log are not appended again).</param>
/// <param name="Cursor">Stored cursor after the run; <see langword="null"/> when the sync completed.</param>
/// <param name="Watermark">Stored watermark.</param>
/// <param name="Completed">Whether the last page was reached.</param>
/// <param name="Conflicts">Observations recorded as <c>core.ConnectorConflictDetected</c> instead of being appended (newly, not replays).</param>
/// <param name="Rechecked">Entities re-fetched by the tombstone sweep (only after a full sync).</param>
/// <param name="Tombstones">Tombstone events newly appended by the sweep.</param>
public sealed record SyncResult(string ConnectorId, int Pages, int Observed, int Appended, string? Cursor, string? Watermark, bool Completed, int Conflicts = 0, int Rechecked = 0, int Tombstones = 0);

/// <summary>A connector sync failed; pages stored before the failure stay stored, with their cursor.</summary>
public class ConnectorException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="connectorId">The connector.</param>
    /// <param name="message">What failed.</param>
    /// <param name="inner">The cause.</param>
    public ConnectorException(string connectorId, string message, Exception? inner = null)
        : base($"Connector {connectorId}: {message}", inner)
    {
        ConnectorId = connectorId;
    }

    /// <summary>The connector.</summary>
    public string ConnectorId { get; }
}

/// <summary>The caller holds no capability that allows syncing the connector; nothing was pulled or written.</summary>
public sealed class ConnectorDeniedException(string connectorId, string reason)
    : ConnectorException(connectorId, $"sync denied: {reason}. Nothing was pulled or written.");
