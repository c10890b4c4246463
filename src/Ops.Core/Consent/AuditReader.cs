using Ops.Core.Envelopes;
using Ops.Core.Log;

namespace Ops.Core.Consent;

/// <summary>Reads audit records (<c>core.MutationCommitted</c>) with filters. There is no way to edit or delete one.</summary>
internal static class AuditReader
{
    public static async ValueTask<IReadOnlyList<AuditRecord>> QueryAsync(IEventLog log, string? actor, string? target, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken, string? tenant = null)
    {
        var records = await log.ReadStreamAsync(ConsentEventTypes.AuditStream, cancellationToken);
        return records
            .Where(e => tenant is null || e.Envelope.Scope.TenantId == tenant)
            .Select(e => new AuditRecord(e.Position, e.Envelope.EventId, e.Envelope.PayloadAs<MutationCommitted>()))
            .Where(r => (actor is null || r.Record.Actor.Id == actor)
                && (target is null || r.Record.TargetRef == target || r.Record.RequestedTargetRef == target)
                && (from is null || r.Record.CommittedAt >= from)
                && (to is null || r.Record.CommittedAt < to))
            .ToList();
    }
}

/// <summary>An audit record with its place in the log.</summary>
/// <param name="Position">Log position of the record.</param>
/// <param name="EventId">Its event id.</param>
/// <param name="Record">The record.</param>
public sealed record AuditRecord(long Position, string EventId, MutationCommitted Record);
