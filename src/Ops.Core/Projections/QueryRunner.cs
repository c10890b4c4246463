using System.Text.Json;
using Ops.Core.Commands;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Hosting;
using Ops.Core.Log;
using Ops.Core.Packs;
using Ops.Core.Safety;
using Ops.Core.Storage;

namespace Ops.Core.Projections;

/// <summary>
/// Runs a pack's query for an authenticated caller, the one way queries run (HTTP and tests alike):
/// folds the pack's projections up to the log head (read-your-writes), derives the caller's identity
/// scope on the server (tenant from its registered actor, mode from the host; seed 001 §5) and hands
/// the handler a reader scoped to that tenant and mode, so a handler that filters nothing still sees
/// only its caller's tenant. The caller's capability for the query itself is checked by the edge
/// before this runs.
/// </summary>
internal sealed class QueryRunner(KernelRegistry registry, ProjectionEngine projections, Func<string, IProjectionStore> storeFor, CoreStateReader core, SafetyRecorder safety, KernelOptions options, TimeProvider time, Microsoft.Extensions.Logging.ILogger logger)
{
    /// <summary>Runs <paramref name="registration"/> with <paramref name="arguments"/> (a JSON object) as <paramref name="caller"/>.</summary>
    /// <exception cref="OpsException"><see cref="ReasonCodes.UnknownActor"/>; <see cref="ReasonCodes.BadRequest"/> when the arguments do not fit the query record; <see cref="ReasonCodes.CapabilityDenied"/> when the handler read a projection that spans tenants without a capability naming it, or <see cref="ReasonCodes.PackFault"/> when the pack's query threw (both recorded on the safety stream); <see cref="ReasonCodes.ProjectionParked"/> when it read a parked projection.</exception>
    public async ValueTask<QueryAnswer> RunAsync(QueryRegistration registration, JsonElement arguments, CallerContext caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentNullException.ThrowIfNull(caller);
        var names = registry.Projections.Values.Where(p => p.Owner == registration.Owner).Select(p => p.Name).ToList();
        var position = await projections.CatchUpAsync(names, cancellationToken);
        var access = await AccessForAsync(caller, cancellationToken);
        var scope = new IdentityScope(access.TenantId, access.Mode, access.ActorId, caller.SurfaceId);
        object? result;
        try
        {
            result = await registration.Execute(new QueryInvocation(arguments, caller.Actor, scope, ReaderFor(registration.Owner, access)), cancellationToken);
        }
        catch (OpsException ex) when (ex.Code == ReasonCodes.CapabilityDenied)
        {
            await safety.RecordAsync(new SafetyDecision(caller.Route ?? "query " + registration.Name, access.ActorId, access.TenantId, null, ex.Code, ex.Message), cancellationToken);
            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OpsException && PackFaults.IsPack(registration.Owner))
        {
            var reason = PackFaults.Caught(logger, registration.Owner, "its query " + registration.Name, ex);
            await safety.RecordAsync(new SafetyDecision(caller.Route ?? "query " + registration.Name, access.ActorId, access.TenantId, null, ReasonCodes.PackFault, reason), cancellationToken);
            throw new OpsException(ReasonCodes.PackFault, reason);
        }

        return new QueryAnswer(
            registration.Name,
            [.. names.Select(n => new QueryProjection(n, registry.Projections[n].Version))],
            position,
            time.GetUtcNow(),
            access.TenantId,
            access.Mode,
            result);
    }

    /// <summary>
    /// The caller's read access as of now: its registered actor's tenant, the host's mode, and kernel state
    /// as of the log's head (appends by other processes included, so a revoked capability stops reads at once).
    /// </summary>
    /// <exception cref="OpsException"><see cref="ReasonCodes.UnknownActor"/>.</exception>
    public async ValueTask<ProjectionAccess> AccessForAsync(CallerContext caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var state = await core.CurrentAsync(cancellationToken);
        return state.Actors.TryGetValue(caller.Actor.Id, out var actor)
            ? new ProjectionAccess(actor.TenantId, options.Mode, actor.ActorId, state, time.GetUtcNow())
            : throw new OpsException(ReasonCodes.UnknownActor, $"actor '{caller.Actor.Id}' is not registered. Nothing was read.");
    }

    /// <summary>A reader of <paramref name="owner"/>'s projections scoped to <paramref name="access"/>.</summary>
    public IProjectionReader ReaderFor(string owner, ProjectionAccess access) => new ProjectionReader(registry, storeFor, owner, access);
}

/// <summary>A query's answer with what it was answered from (constitution §5, query artifacts).</summary>
/// <param name="Query">The query's registered name.</param>
/// <param name="Projections">The pack's projections and their versions.</param>
/// <param name="Position">The log position the projections were caught up to.</param>
/// <param name="FreshnessAt">When the answer was made (UTC).</param>
/// <param name="TenantId">The access scope: the caller's tenant.</param>
/// <param name="Mode">The access scope: the host's mode.</param>
/// <param name="Result">The handler's result.</param>
internal sealed record QueryAnswer(string Query, IReadOnlyList<QueryProjection> Projections, long Position, DateTimeOffset FreshnessAt, string TenantId, string Mode, object? Result);

/// <summary>A projection a query answered from.</summary>
/// <param name="Name">Its registered name.</param>
/// <param name="Version">Its version.</param>
internal sealed record QueryProjection(string Name, int Version);
