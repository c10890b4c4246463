using System.Text.Json;
using Microsoft.Extensions.Logging;
using Ops.Core.Capabilities;
using Ops.Core.Commands;
using Ops.Core.Envelopes;
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
/// watermark in the same transaction as the page's events. A sync interrupted mid-way resumes from
/// the stored cursor; a completed sync starts the next one from the beginning.
/// </summary>
[Authority(AuthorityClass.LogAppender, "events", "connector_cursors")]
internal sealed class ConnectorRunner(KernelRegistry registry, LogWriter writer, CoreStateReader coreReader, SecretsProvider secrets, KernelOptions options, TimeProvider time, ILogger logger)
{
    public const string SyncActionType = "core.SyncConnector";
    private const int MaxPages = 10_000;

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
            throw new ConnectorDeniedException(connectorId, $"actor '{caller.Actor.Id}' cannot act ({core.ActorInvalidReason(caller.Actor.Id, start)})");
        }

        var capability = CapabilityEvaluator.FindFor(core, actor.ActorId, SyncActionType, "connector:" + connectorId, SafetyClass.WriteInternal, start);
        if (!capability.Allowed)
        {
            throw new ConnectorDeniedException(connectorId, capability.Reason!);
        }

        var runId = DeterministicIds.Derive("sync", connectorId, actor.ActorId, OpsJson.FormatInstant(start));
        var scope = new IdentityScope(actor.TenantId, options.Mode, actor.ActorId, caller.SurfaceId, null, runId);
        var connectorActor = new ActorRef(connectorId, ActorKind.Service);
        var state = await writer.ExecuteAsync((session, ct) => ReadCursorAsync(session, connectorId, ct), cancellationToken);
        var context = new PullContext(connectorId, time, secrets, writer, scope, connectorActor, capability, runId);
        var connector = registration.Create();
        var result = new SyncResult(connectorId, 0, 0, 0, state.Cursor, state.Watermark, false);
        var cursor = state.Cursor;
        for (var page = 1; page <= MaxPages; page++)
        {
            context.CursorValue = cursor;
            context.WatermarkValue = result.Watermark;
            ConnectorPage pulled;
            try
            {
                pulled = await connector.PullAsync(context, cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException or InvalidOperationException or TaskCanceledException)
            {
                throw new ConnectorException(connectorId, $"page {page} failed: {ex.Message} Pages before it are stored; the next sync resumes at the stored cursor.", ex);
            }

            var drafts = pulled.Observations.Select(o => ToDraft(registration, o, scope, connectorActor, capability, runId)).ToList();
            var appended = await writer.ExecuteAsync(
                async (session, ct) =>
                {
                    var count = 0;
                    foreach (var (streamId, draft) in drafts)
                    {
                        var added = await session.AppendAsync(streamId, null, [draft], ct);
                        count += added.Count(a => !a.Duplicate);
                    }

                    await WriteCursorAsync(session, connectorId, pulled.NextCursor, pulled.Watermark ?? result.Watermark, page, ct);
                    return count;
                },
                cancellationToken);
            CoreLog.ConnectorPage(logger, connectorId, page, drafts.Count, appended);
            result = result with
            {
                Pages = page,
                Observed = result.Observed + drafts.Count,
                Appended = result.Appended + appended,
                Cursor = pulled.NextCursor,
                Watermark = pulled.Watermark ?? result.Watermark,
                Completed = pulled.NextCursor is null,
            };
            progress?.Report(result);
            if (pulled.NextCursor is null)
            {
                return result;
            }

            cursor = pulled.NextCursor;
        }

        throw new ConnectorException(connectorId, $"stopped after {MaxPages} pages without reaching the end; the cursor is stored and the next sync continues from it.");
    }

    private (string StreamId, EventEnvelope Draft) ToDraft(ConnectorRegistration registration, Observation o, IdentityScope scope, ActorRef actor, CapabilityDecision capability, string runId)
    {
        if (!registry.Events.TryGetValue(o.EventType, out var eventType) || eventType.Owner != registration.Owner)
        {
            throw new ConnectorException(registration.Id, $"observation type {o.EventType} is not an event registered by '{registration.Owner}'.");
        }

        if (o.Payload.GetType() != eventType.PayloadType)
        {
            throw new ConnectorException(registration.Id, $"observation of {o.EventType} carries {o.Payload.GetType().Name}, not the registered {eventType.PayloadType.Name}.");
        }

        var streamId = CommandRegistration.StreamPrefixOf(registration.Owner) + o.StreamKey;
        return (streamId, EventDraft.Create(
            o.EventType, eventType.SchemaVersion, JsonSerializer.SerializeToElement(o.Payload, eventType.PayloadType, OpsJson.Options), "connector:" + registration.Id, o.SourceNativeId, o.SourceSequence, o.OccurredAt,
            new Causation(runId, runId, CausationType.UserAction), actor, capability.CapabilityId, capability.StateRef, scope, streamId));
    }

    private static async ValueTask<(string? Cursor, string? Watermark)> ReadCursorAsync(WriteSession session, string connectorId, CancellationToken cancellationToken) =>
        await session.Transaction.ReadCursorAsync(connectorId, cancellationToken) is { } stored ? (stored.Cursor, stored.Watermark) : (null, null);

    private static ValueTask WriteCursorAsync(WriteSession session, string connectorId, string? cursor, string? watermark, int page, CancellationToken cancellationToken)
    {
        var now = session.Time.GetUtcNow().UtcTicks;
        return session.Transaction.WriteCursorAsync(new ConnectorCursor(connectorId, cursor, watermark, page, now, cursor is null ? now : null), cancellationToken);
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
public sealed record SyncResult(string ConnectorId, int Pages, int Observed, int Appended, string? Cursor, string? Watermark, bool Completed);

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
