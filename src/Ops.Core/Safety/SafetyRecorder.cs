using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Log;
using Ops.Core.Storage;

namespace Ops.Core.Safety;

/// <summary>
/// Appends refusals to the safety stream (seed 001), each in its own writer transaction, never in the
/// refused mutation's (which writes nothing). Flood-proof: per (actor, reason code), the first refusal
/// of a window is written at once; later ones in the same window are counted per distinct (route, object)
/// with their first and last details (at most <see cref="MaxAttemptsPerRecord"/>; the rest only counted),
/// and written as one coalesced record when the window has passed (on the next refusal, or by
/// <see cref="FlushAsync"/>). At most <see cref="MaxPendingKeys"/> keys are held; beyond that, refusals are
/// counted under one overflow key, so memory and the log's growth stay bounded whatever an attacker sends
/// (issue 20 item 3: distinct attempts stay distinguishable, the record stays bounded).
/// </summary>
[Authority(AuthorityClass.LogAppender, "events")]
internal sealed class SafetyRecorder(LogWriter writer, string mode, TimeProvider time)
{
    public const int MaxPendingKeys = 10_000;

    /// <summary>Distinct (route, object) attempts one coalesced record keeps apart.</summary>
    public const int MaxAttemptsPerRecord = 64;
    private const string OverflowKey = "\u0000overflow";
    private const int MaxValueLength = 128;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Window> _windows = new(StringComparer.Ordinal);

    /// <summary>Length of a coalescing window.</summary>
    public TimeSpan WindowLength { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Records a refusal, or counts it into the open window of its (actor, reason).</summary>
    /// <returns>Whether a record was appended now (false when the refusal was coalesced).</returns>
    public async ValueTask<bool> RecordAsync(SafetyDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        Hosting.OpsTelemetry.SafetyDecisions.Add(1, new KeyValuePair<string, object?>("reason_code", decision.ReasonCode));
        var now = time.GetUtcNow();
        var due = new List<Window>();
        Window? open;
        lock (_lock)
        {
            CollectDue(now, due);
            var key = (decision.ActorId ?? "-") + "\u0000" + decision.ReasonCode;
            if (!_windows.ContainsKey(key) && _windows.Count >= MaxPendingKeys)
            {
                key = OverflowKey;
            }

            if (_windows.TryGetValue(key, out var window))
            {
                window.Count++;
                window.LastAt = now;
                window.Add(decision, now);
                open = null;
            }
            else
            {
                open = new Window(decision, now);
                // The first refusal is written now; the window only counts the ones after it.
                _windows[key] = new Window(decision, now) { Count = 0 };
            }
        }

        await AppendAsync(due, cancellationToken);
        if (open is not null)
        {
            await AppendAsync([open], cancellationToken);
            return true;
        }

        return false;
    }

    /// <summary>Writes every window that has passed (all of them when <paramref name="all"/>).</summary>
    public async ValueTask FlushAsync(bool all, CancellationToken cancellationToken)
    {
        var due = new List<Window>();
        lock (_lock)
        {
            CollectDue(all ? DateTimeOffset.MaxValue : time.GetUtcNow(), due);
        }

        await AppendAsync(due, cancellationToken);
    }

    private void CollectDue(DateTimeOffset now, List<Window> due)
    {
        foreach (var (key, window) in _windows.Where(w => now == DateTimeOffset.MaxValue || now - w.Value.FirstAt >= WindowLength).ToList())
        {
            _windows.Remove(key);
            if (window.Count > 0)
            {
                due.Add(window);
            }
        }
    }

    private async ValueTask AppendAsync(IReadOnlyList<Window> windows, CancellationToken cancellationToken)
    {
        if (windows.Count == 0)
        {
            return;
        }

        await writer.ExecuteAsync(
            async (session, ct) =>
            {
                foreach (var w in windows)
                {
                    var d = w.Decision;
                    var payload = new SafetyDecisionRecorded(
                        Truncate(d.Route)!, Truncate(d.ActorId), d.CommandHash, d.ReasonCode, Truncate(d.Reason, 1_024)!, d.Field, Truncate(d.Claimed), Truncate(d.Derived), w.FirstAt, w.LastAt, Math.Max(1, w.Count),
                        Truncate(d.ObjectRef), w.Attempts.Count == 0 ? null : [.. w.Attempts.Values.Select(a => a.ToRecord())], w.Others);
                    var element = JsonSerializer.SerializeToElement(payload, OpsJson.Options);
                    var nativeId = ContentHash.OfJson(element);
                    var correlation = DeterministicIds.Derive("safety", nativeId);
                    await session.AppendAsync(SafetyEventTypes.SafetyStream, null, [EventDraft.Create(
                        SafetyEventTypes.SafetyDecisionRecorded, 1, element, "kernel:safety", nativeId, null, w.LastAt,
                        new Causation(correlation, null, null), new ActorRef("kernel", ActorKind.Service), null, null,
                        new IdentityScope(d.TenantId ?? "system", mode, d.ActorId, "kernel"), SafetyEventTypes.SafetyStream)], ct);
                }

                return true;
            },
            cancellationToken);
    }

    private static string? Truncate(string? value, int max = MaxValueLength) =>
        value is null || value.Length <= max ? value : value[..max] + "…";

    private sealed class Window(SafetyDecision decision, DateTimeOffset at)
    {
        public SafetyDecision Decision { get; } = decision;

        public DateTimeOffset FirstAt { get; } = at;

        public DateTimeOffset LastAt { get; set; } = at;

        public int Count { get; set; } = 1;

        /// <summary>The counted refusals per distinct (route, object), in the order first seen.</summary>
        public Dictionary<(string Route, string? Object), Attempt> Attempts { get; } = [];

        public int Others { get; private set; }

        public void Add(SafetyDecision decision, DateTimeOffset at)
        {
            var key = (decision.Route, decision.ObjectRef);
            if (Attempts.TryGetValue(key, out var attempt))
            {
                attempt.Count++;
                attempt.LastAt = at;
                attempt.LastReason = decision.Reason;
            }
            else if (Attempts.Count < MaxAttemptsPerRecord)
            {
                Attempts[key] = new Attempt(decision.Route, decision.ObjectRef, at, decision.Reason);
            }
            else
            {
                Others++;
            }
        }
    }

    private sealed class Attempt(string route, string? objectRef, DateTimeOffset at, string reason)
    {
        public DateTimeOffset FirstAt { get; } = at;

        public string FirstReason { get; } = reason;

        public int Count { get; set; } = 1;

        public DateTimeOffset LastAt { get; set; } = at;

        public string LastReason { get; set; } = reason;

        public SafetyAttempt ToRecord() =>
            new(Truncate(route)!, Truncate(objectRef), Count, FirstAt, LastAt, Truncate(FirstReason, 256)!, Truncate(LastReason, 256)!);
    }
}
