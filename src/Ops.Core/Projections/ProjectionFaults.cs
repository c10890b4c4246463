using System.Collections.Immutable;
using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Identity;
using Ops.Core.Log;
using Ops.Core.Packs;

namespace Ops.Core.Projections;

/// <summary>
/// <c>core.ProjectionParked</c>, on stream <c>core:projection-&lt;name&gt;</c>: a projection's fold threw on an event, so
/// the kernel stopped folding it there (issue 16 item 6). Its documents and checkpoint stay as of the event before; the
/// other projections go on. Payload schema version 1.
/// </summary>
/// <param name="Projection">The projection's registered name.</param>
/// <param name="Version">The projection version that failed; a pack shipping another version is not parked by this record.</param>
/// <param name="Owner">The pack that registered the projection.</param>
/// <param name="Position">Log position of the event the fold threw on.</param>
/// <param name="EventType">That event's type.</param>
/// <param name="ErrorType">The full name of the exception's type (its message stays in the worker's log: it is the pack's text).</param>
/// <param name="Attempt">1 for the first park of this projection, one more after each resume.</param>
internal sealed record ProjectionParked(string Projection, int Version, string Owner, long Position, string EventType, string ErrorType, int Attempt);

/// <summary><c>core.ProjectionResumed</c>, on stream <c>core:projection-&lt;name&gt;</c>: an operator lifted a park. Payload schema version 1.</summary>
/// <param name="Projection">The projection's registered name.</param>
/// <param name="Version">The version that was parked.</param>
/// <param name="Position">The position it was parked at.</param>
/// <param name="Reason">Why (recorded as given).</param>
internal sealed record ProjectionResumed(string Projection, int Version, long Position, string Reason);

/// <summary>Parking and resuming projections whose fold threw: the records, their fold into <see cref="CoreState"/>, and their appends.</summary>
internal static class ProjectionFaults
{
    public const string Parked = "core.ProjectionParked";

    public const string Resumed = "core.ProjectionResumed";

    public static ImmutableDictionary<string, ProjectionParked> Empty { get; } = ImmutableDictionary.Create<string, ProjectionParked>(StringComparer.Ordinal);

    /// <summary>Folds one core event; any other event leaves the state as it is.</summary>
    public static CoreState Apply(CoreState state, EventEnvelope e)
    {
        switch (e.EventType)
        {
            case Parked:
                var parked = e.PayloadAs<ProjectionParked>();
                return state with { ParkedProjections = state.ParkedProjections.SetItem(parked.Projection, parked), ProjectionAttempts = state.ProjectionAttempts.SetItem(parked.Projection, parked.Attempt) };
            case Resumed:
                return state with { ParkedProjections = state.ParkedProjections.Remove(e.PayloadAs<ProjectionResumed>().Projection) };
            default:
                return state;
        }
    }

    /// <summary>The park that stops <paramref name="projection"/> at its current version, or null.</summary>
    public static ProjectionParked? ParkOf(CoreState core, ProjectionRegistration projection) =>
        core.ParkedProjections.TryGetValue(projection.Name, out var parked) && parked.Version == projection.Version ? parked : null;

    /// <summary>The refusal of a read of a parked projection: what is parked, since where, and what brings it back.</summary>
    public static OpsException Refusal(ProjectionParked parked) => new(
        ReasonCodes.ProjectionParked,
        $"projection {parked.Projection} of pack '{parked.Owner}' is parked: its fold threw {parked.ErrorType} on the event at position {parked.Position} ({parked.EventType}), so its documents stop before that event. Nothing was read. After a fix, an operator resumes it with 'projections resume {parked.Projection}'; a new projection version of the pack rebuilds it.");

    /// <summary>
    /// Appends <c>core.ProjectionParked</c> for a failed fold and returns it; when the projection is already parked at this
    /// version (another process parked it first) nothing is appended and the existing park is returned.
    /// </summary>
    public static Task<ProjectionParked> ParkAsync(LogWriter writer, string mode, ProjectionRegistration projection, ProjectionFailedException failure, CancellationToken cancellationToken) =>
        writer.ExecuteAsync(
            async (session, ct) =>
            {
                if (ParkOf(session.Core, projection) is { } existing)
                {
                    return existing;
                }

                var attempt = (session.Core.ProjectionAttempts.TryGetValue(projection.Name, out var previous) ? previous : 0) + 1;
                var parked = new ProjectionParked(projection.Name, projection.Version, projection.Owner, failure.Position, failure.EventType, failure.InnerException?.GetType().FullName ?? nameof(Exception), attempt);
                var stream = StreamOf(projection.Name);
                await session.AppendAsync(stream, null, [EventDraft.Create(
                    Parked, 1, EventDraft.Payload(parked), "kernel:projection-park", KeyOf(projection.Name, projection.Version, attempt), null, session.Time.GetUtcNow(),
                    new Causation(failure.EventId, failure.EventId, CausationType.Event), new ActorRef(CapabilityExpiry.KernelActorId, ActorKind.Service), null, null,
                    new IdentityScope("system", mode, null, "kernel"), stream)], ct);
                return parked;
            },
            cancellationToken);

    /// <summary>Appends <c>core.ProjectionResumed</c> when the projection is parked; returns the park it lifted, or null when none was (nothing appended).</summary>
    public static Task<ProjectionParked?> ResumeAsync(LogWriter writer, string mode, string projection, string reason, CancellationToken cancellationToken) =>
        writer.ExecuteAsync(
            async (session, ct) =>
            {
                if (!session.Core.ParkedProjections.TryGetValue(projection, out var parked))
                {
                    return null;
                }

                var stream = StreamOf(projection);
                var key = KeyOf(projection, parked.Version, parked.Attempt);
                await session.AppendAsync(stream, null, [EventDraft.Create(
                    Resumed, 1, EventDraft.Payload(new ProjectionResumed(projection, parked.Version, parked.Position, reason)), "kernel:projection-resume", key, null, session.Time.GetUtcNow(),
                    new Causation("projection-resume:" + key, null, null), new ActorRef(Hosting.Bootstrap.BootstrapActorId, ActorKind.Service), null, null,
                    new IdentityScope("system", mode, null, "cli"), stream)], ct);
                return (ProjectionParked?)parked;
            },
            cancellationToken);

    private static string StreamOf(string projection) => CoreRefs.Stream("projection-" + projection);

    private static string KeyOf(string projection, int version, int attempt) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{projection}@{version}#{attempt}");
}
