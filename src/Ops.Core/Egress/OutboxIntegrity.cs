using System.Globalization;
using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Log.Integrity;
using Ops.Core.Storage;

namespace Ops.Core.Egress;

/// <summary>
/// What the hash-chained log says about one egress request: the fold of its stream (<see cref="EgressEventTypes.StreamOf"/>).
/// Every move of a request appends an event in the transaction of its conditional update, so the row must always equal
/// this fold; a row that does not was changed behind the kernel's back (issue 20 item 2: the approved request is the one sent).
/// </summary>
/// <param name="Requested">The request as enqueued, with the hash every approval binds.</param>
/// <param name="RequesterId">The actor whose committed command enqueued it.</param>
/// <param name="Status">The status the last move recorded.</param>
/// <param name="HeldFrom">While held, the status a release returns it to.</param>
/// <param name="Attempts">Dispatch attempts recorded.</param>
/// <param name="Approvals">Every approval recorded, oldest first.</param>
/// <param name="CompensationAttempts">Compensation claims recorded (<c>core.EgressCompensationClaimed</c>), what the compensation lease's attempt limit counts.</param>
internal sealed record EgressLedger(EgressRequested Requested, string RequesterId, string Status, string? HeldFrom, int Attempts, IReadOnlyList<EgressApproved> Approvals, int CompensationAttempts = 0)
{
    /// <summary>Who approved, one entry per distinct approver: the actor, or <c>policy:&lt;id&gt;@&lt;version&gt;</c>.</summary>
    public IReadOnlyList<string> Approvers => [.. Approvals.Select(ApproverOf).Distinct(StringComparer.Ordinal)];

    /// <summary>The approver's identity for separation of duties: the signing actor, or the policy and version.</summary>
    public static string ApproverOf(EgressApproved approval) =>
        approval.ApprovedBy ?? string.Create(CultureInfo.InvariantCulture, $"policy:{approval.PolicyId}@{approval.PolicyVersion}");
}

/// <summary>
/// Binds outbox rows to the log (issue 20 item 2). <see cref="Fold"/> reads a request's stream; <see cref="Compare"/> says
/// how a row differs from it (request bytes, hash, the columns that route and key it, status, held-from, attempts), and
/// <see cref="VerifyAsync"/> runs that over every request for <c>log verify</c>: an edited, deleted or inserted row is named.
/// The gate compares before every approval, release and undo, and the dispatcher before every claim, so a row edited in
/// the database is refused and held, never sent.
/// </summary>
internal static class OutboxIntegrity
{
    /// <summary>The holder named in <c>core.EgressHeld</c> when the kernel holds a row that differs from the log.</summary>
    public const string Holder = "kernel:integrity";

    /// <summary>The fold of one request's stream, or null when it holds no readable <c>core.EgressRequested</c>.</summary>
    public static EgressLedger? Fold(IReadOnlyList<LoggedEvent> stream)
    {
        EgressRequested? requested = null;
        string? requester = null;
        string status = EgressStatus.Pending;
        string? heldFrom = null;
        var attempts = 0;
        var compensationAttempts = 0;
        var approvals = new List<EgressApproved>();
        try
        {
            foreach (var logged in stream)
            {
                var envelope = logged.Envelope;
                switch (envelope.EventType)
                {
                    case EgressEventTypes.Requested:
                        requested = envelope.Payload.Deserialize<EgressRequested>(OpsJson.Options);
                        requester = envelope.Actor.Id;
                        status = EgressStatus.Pending;
                        break;
                    case EgressEventTypes.Approved:
                        var approved = envelope.Payload.Deserialize<EgressApproved>(OpsJson.Options)!;
                        approvals.Add(approved);
                        if (approved.ApprovalsRemaining is null or 0)
                        {
                            status = EgressStatus.Approved;
                        }

                        break;
                    case EgressEventTypes.Rejected:
                        status = EgressStatus.Rejected;
                        break;
                    case EgressEventTypes.Held:
                        heldFrom = envelope.Payload.Deserialize<EgressHeld>(OpsJson.Options)!.From;
                        status = EgressStatus.Held;
                        break;
                    case EgressEventTypes.Released:
                        status = envelope.Payload.Deserialize<EgressReleased>(OpsJson.Options)!.To;
                        heldFrom = null;
                        break;
                    case EgressEventTypes.Dispatched:
                        attempts = envelope.Payload.Deserialize<EgressDispatched>(OpsJson.Options)!.Attempt;
                        status = EgressStatus.Dispatched;
                        break;
                    case EgressEventTypes.RetryScheduled:
                        status = EgressStatus.Dispatched;
                        break;
                    case EgressEventTypes.Executed:
                        status = EgressStatus.Executed;
                        break;
                    case EgressEventTypes.Failed:
                        status = EgressStatus.Failed;
                        break;
                    case EgressEventTypes.Compensated:
                        status = EgressStatus.Compensated;
                        break;
                    case EgressEventTypes.CompensationClaimed:
                        compensationAttempts = envelope.Payload.Deserialize<EgressCompensationClaimed>(OpsJson.Options)!.Attempt;
                        status = EgressStatus.Compensating;
                        break;
                    case EgressEventTypes.CompensationFailed:
                        status = EgressStatus.Failed;
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // An event of the stream does not parse: the chain check names that row; the request cannot be vouched for.
            return null;
        }

        return requested is null || requester is null ? null : new EgressLedger(requested, requester, status, heldFrom, attempts, approvals, compensationAttempts);
    }

    /// <summary>How <paramref name="row"/> differs from what the log recorded, or null when it is exactly that.</summary>
    public static string? Compare(EgressRow row, EgressLedger? ledger)
    {
        if (ledger is null)
        {
            return "the log holds no core.EgressRequested for it (the row was inserted behind the kernel's back, or its stream is unreadable)";
        }

        var requested = ledger.Requested;
        var hash = ContentHash.Of(row.Request);
        if (hash != requested.RequestHash)
        {
            return $"its stored request bytes were edited: they hash to {hash[..16]}…, but the log requested {requested.RequestHash[..16]}…";
        }

        var columns = new (string Column, string Stored, string Logged)[]
        {
            ("request_hash", row.RequestHash, requested.RequestHash),
            ("tenant_id", row.TenantId, requested.TenantId),
            ("pack_id", row.PackId, requested.PackId),
            ("destination", row.Destination, requested.Destination),
            ("command_type", row.CommandType, requested.CommandType),
            ("command_id", row.CommandId, requested.CommandId),
            ("idempotency_key", row.IdempotencyKey, requested.IdempotencyKey),
        };
        foreach (var (column, stored, logged) in columns)
        {
            if (!string.Equals(stored, logged, StringComparison.Ordinal))
            {
                return $"its {column} column was edited: '{stored}', but the log says '{logged}'";
            }
        }

        if (row.Status != ledger.Status)
        {
            return $"its status is {row.Status}, but the log's last move left it {ledger.Status}";
        }

        if (row.Status == EgressStatus.Held && row.HeldFrom != ledger.HeldFrom)
        {
            return $"it would be released to {row.HeldFrom ?? "nothing"}, but the log held it from {ledger.HeldFrom}";
        }

        if (row.Attempts != ledger.Attempts)
        {
            return string.Create(CultureInfo.InvariantCulture, $"it counts {row.Attempts} dispatch attempts, but the log recorded {ledger.Attempts}");
        }

        return null;
    }

    /// <summary>Rows <see cref="VerifyAsync"/> compares at most (the outbox store's largest page).</summary>
    public const int VerifyLimit = 10_000;

    /// <summary>
    /// <c>log verify</c> over the outbox: every request the log enqueued must have its row, equal to the fold of its stream,
    /// and every row must have been enqueued by the log. One finding per request that differs, positioned at its
    /// <c>core.EgressRequested</c> when there is one; a note when the outbox holds more rows than one pass compares.
    /// </summary>
    public static async Task<(IReadOnlyList<IntegrityFinding> Findings, IReadOnlyList<string> Notes)> VerifyAsync(IEventStore log, IOutboxStore outbox, CancellationToken cancellationToken)
    {
        var streams = new Dictionary<string, List<LoggedEvent>>(StringComparer.Ordinal);
        await foreach (var logged in log.ReadStreamsWithPrefixAsync("core:egress-", cancellationToken))
        {
            var stream = logged.Envelope.StreamId;
            if (stream == EgressEventTypes.SwitchStream)
            {
                continue;
            }

            if (!streams.TryGetValue(stream, out var events))
            {
                streams[stream] = events = [];
            }

            events.Add(logged);
        }

        var findings = new List<IntegrityFinding>();
        var listed = await outbox.ListAsync(null, VerifyLimit, cancellationToken);
        var complete = listed.Count < VerifyLimit;
        var rows = listed.ToDictionary(r => EgressEventTypes.StreamOf(r.RequestId), StringComparer.Ordinal);
        foreach (var (stream, events) in streams)
        {
            var position = events[0].Position;
            var ledger = Fold(events);
            if (!rows.Remove(stream, out var row))
            {
                if (!complete)
                {
                    continue;
                }

                var id = ledger?.Requested.RequestId ?? stream;
                findings.Add(new IntegrityFinding(IntegrityProblem.OutboxAltered, position, $"egress request {Short(id)} (enqueued at position {position}) has no outbox row: the row was deleted behind the kernel's back"));
                continue;
            }

            if (Compare(row, ledger) is { } problem)
            {
                findings.Add(new IntegrityFinding(IntegrityProblem.OutboxAltered, position, $"egress request {Short(row.RequestId)} (enqueued at position {position}): {problem}"));
            }
        }

        foreach (var row in rows.Values)
        {
            findings.Add(new IntegrityFinding(IntegrityProblem.OutboxAltered, null, $"egress request {Short(row.RequestId)} has an outbox row but the log never enqueued it: the row was inserted behind the kernel's back"));
        }

        IReadOnlyList<string> notes = complete ? [] : [$"The outbox holds more than {VerifyLimit:N0} requests: the oldest {VerifyLimit:N0} were compared with the log, and deleted rows among the newer ones are not looked for."];
        return (findings, notes);
    }

    private static string Short(string id) => id.Length > 12 ? id[..12] : id;
}
