using System.Text.Json;
using Ops.Core.Capabilities;
using Ops.Core.Commands;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Packs;
using Ops.Core.Projections;

namespace Ops.Core.Hosting;

/// <summary>
/// The running kernel's public face for a host that is not this repository's worker (an embedder's own
/// service; issue 8, docs/adr/0006-public-surface.md): initialize an empty log and run a pack's queries the
/// way the worker's HTTP API does. Commands go through <see cref="ICommandGateway"/>. Resolve it from the
/// container <see cref="Microsoft.Extensions.DependencyInjection.OpsServiceCollectionExtensions.AddOps"/> filled;
/// resolving it opens the kernel (routes validated, databases migrated). Thread-safe; one per container.
/// </summary>
public sealed class OpsRuntime
{
    private readonly OpsKernel _kernel;

    internal OpsRuntime(OpsKernel kernel) => _kernel = kernel;

    /// <summary>The host's mode (<c>Ops:Mode</c>, seed 001), part of every identity scope.</summary>
    public string Mode => _kernel.Options.Mode;

    /// <summary>
    /// <c>init</c>: registers the first admin actor with the root capability, issues its API key and registers its
    /// consent signing key, in one transaction, and only while the log has no actor. The one write that needs no
    /// capability and no consent, because neither can exist yet (seed 004, bootstrap authority).
    /// </summary>
    /// <param name="adminActorId">The admin's actor id, for example <c>admin</c>.</param>
    /// <param name="tenantId">The admin's tenant.</param>
    /// <param name="signerPublicKey">The admin's consent signing key: base64 SubjectPublicKeyInfo of an ECDSA P-256 key (constitution A4).</param>
    /// <param name="cancellationToken">Cancels waiting for the writer.</param>
    /// <returns>What was created; its <see cref="OpsInitialized.ApiKey"/> is shown once and stored only as a hash.</returns>
    /// <exception cref="InvalidOperationException">The log has an actor already, or the key is not usable; nothing was changed.</exception>
    /// <exception cref="Log.LogCommitException">The database could not commit; nothing was written.</exception>
    public async Task<OpsInitialized> InitializeAsync(string adminActorId, string tenantId, string signerPublicKey, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(adminActorId);
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(signerPublicKey);
        var result = await Bootstrap.InitializeAsync(_kernel, adminActorId, tenantId, signerPublicKey, cancellationToken);
        return new OpsInitialized(result.ActorId, result.TenantId, result.CapabilityId, result.ApiKey, result.SignerKeyId);
    }

    /// <summary>
    /// Runs a pack's query as <paramref name="caller"/>, as <c>GET /v1/queries/&lt;pack&gt;/&lt;route&gt;</c> does: the caller's
    /// READ capability on <c>query:&lt;pack&gt;</c> checked against the log's head (a refusal is recorded on the safety
    /// stream), the pack's projections caught up first (read-your-writes), every read scoped to the caller's tenant and
    /// the host's mode (seed 001 §5).
    /// </summary>
    /// <param name="packId">The pack id, for example <c>notes</c>.</param>
    /// <param name="route">The query's route within the pack, for example <c>note</c>.</param>
    /// <param name="arguments">The query record as a JSON object (snake_case names; values may be strings, as from a query string).</param>
    /// <param name="caller">The authenticated caller.</param>
    /// <param name="cancellationToken">Cancels the catch-up and the read.</param>
    /// <returns>The handler's result with the projections, log position, instant (UTC) and access scope it was answered from.</returns>
    /// <exception cref="OpsException"><see cref="ReasonCodes.NotFound"/> (no such query), <see cref="ReasonCodes.BadRequest"/> (the arguments do not fit),
    /// <see cref="ReasonCodes.CapabilityDenied"/>, <see cref="ReasonCodes.UnknownActor"/>; nothing was changed but the safety record of a refusal.</exception>
    /// <exception cref="ProjectionFailedException">A projection's fold threw; its documents and checkpoint stay as they were.</exception>
    public async Task<OpsQueryResult> QueryAsync(string packId, string route, JsonElement arguments, CallerContext caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(packId);
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(caller);
        if (!_kernel.Registry.Queries.TryGetValue(QueryRegistration.QueryKey(packId, route), out var registration))
        {
            throw new OpsException(ReasonCodes.NotFound, $"No query '{route}' in pack '{packId}'. See GET /v1/packs for the installed queries. Nothing was changed.");
        }

        await AuthorizeReadAsync(caller, registration.Name, "query:" + packId, cancellationToken);
        QueryAnswer answer;
        try
        {
            answer = await _kernel.Queries.RunAsync(registration, arguments, caller, cancellationToken);
        }
        catch (JsonException ex)
        {
            throw new OpsException(ReasonCodes.BadRequest, $"The query arguments do not fit {registration.Name}{(ex.Path is { Length: > 0 } path ? " at " + path : string.Empty)}: an argument is missing, unknown, or of the wrong type. Nothing was changed.", ex);
        }

        return new OpsQueryResult(answer.Query, [.. answer.Projections.Select(p => new OpsQueryProjection(p.Name, p.Version))], answer.Position, answer.FreshnessAt, answer.TenantId, answer.Mode, answer.Result);
    }

    /// <summary>A READ action checked against the log's state as of its head: a capability revoked from any process stops reads at once.</summary>
    private async Task AuthorizeReadAsync(CallerContext caller, string action, string target, CancellationToken cancellationToken)
    {
        var core = await _kernel.CoreReader.CurrentAsync(cancellationToken);
        var decision = CapabilityEvaluator.FindFor(core, caller.Actor.Id, action, target, SafetyClass.Read, core.EnforcementTime(_kernel.Time.GetUtcNow()));
        if (decision.Allowed)
        {
            return;
        }

        var tenant = core.Actors.TryGetValue(caller.Actor.Id, out var actor) ? actor.TenantId : null;
        await _kernel.Safety.RecordAsync(new Safety.SafetyDecision(caller.Route ?? "query " + action, caller.Actor.Id, tenant, null, ReasonCodes.CapabilityDenied, decision.Reason!), cancellationToken);
        throw new OpsException(ReasonCodes.CapabilityDenied, decision.Reason! + " Nothing was changed.");
    }
}

/// <summary>What <see cref="OpsRuntime.InitializeAsync"/> created.</summary>
/// <param name="ActorId">The admin actor's id.</param>
/// <param name="TenantId">Its tenant.</param>
/// <param name="CapabilityId">Its root capability's id (64 hex).</param>
/// <param name="ApiKey">Its API key for <c>Authorization: Bearer</c>; shown once, the log keeps only its SHA-256.</param>
/// <param name="SignerKeyId">Its consent signing key's id.</param>
public sealed record OpsInitialized(string ActorId, string TenantId, string CapabilityId, string ApiKey, string SignerKeyId);

/// <summary>A query's answer with what it was answered from (constitution §5, query artifacts).</summary>
/// <param name="Query">The query's registered name, <c>pack.&lt;id&gt;.&lt;domain&gt;.&lt;Name&gt;</c>.</param>
/// <param name="Projections">The pack's projections and their versions.</param>
/// <param name="Position">The log position (1-based; 0 for an empty log) the projections were caught up to.</param>
/// <param name="FreshnessAt">When the answer was made (UTC).</param>
/// <param name="TenantId">The access scope: the caller's tenant.</param>
/// <param name="Mode">The access scope: the host's mode.</param>
/// <param name="Result">The handler's result (the query's registered result type), or null.</param>
public sealed record OpsQueryResult(string Query, IReadOnlyList<OpsQueryProjection> Projections, long Position, DateTimeOffset FreshnessAt, string TenantId, string Mode, object? Result);

/// <summary>A projection a query answered from.</summary>
/// <param name="Name">Its registered name.</param>
/// <param name="Version">Its version (1 or more).</param>
public sealed record OpsQueryProjection(string Name, int Version);
