using System.Text.Json;
using Ops.Core.Capabilities;
using Ops.Core.Commands;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Log;
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

    /// <summary>The action a caller needs to read the raw log or the audit records: <c>core.ReadLog</c>, on <c>log</c> or <c>audit</c>.</summary>
    public const string ReadLogAction = "core.ReadLog";

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
    /// <exception cref="Errors.OpsException"><see cref="Errors.ReasonCodes.AlreadyInitialized"/>: the log has an actor already; <see cref="Errors.ReasonCodes.InvalidKey"/>: the key is not usable. Nothing was changed.</exception>
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
    /// <see cref="ReasonCodes.CapabilityDenied"/>, <see cref="ReasonCodes.UnknownActor"/>, <see cref="ReasonCodes.PackFault"/> (the pack's query threw),
    /// <see cref="ReasonCodes.ProjectionParked"/> (it read a projection parked after its fold threw); nothing was changed but the safety record of a refusal.</exception>
    public async Task<OpsQueryResult> QueryAsync(string packId, string route, JsonElement arguments, CallerContext caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(packId);
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(caller);
        if (!_kernel.Registry.Queries.TryGetValue(QueryRegistration.QueryKey(packId, route), out var registration))
        {
            throw new OpsException(ReasonCodes.NotFound, $"No query '{route}' in pack '{packId}'. See GET /v1/packs for the installed queries. Nothing was changed.");
        }

        await AuthorizeAsync(caller, registration.Name, "query:" + packId, SafetyClass.Read, cancellationToken);
        var answer = await _kernel.Queries.RunAsync(registration, arguments, caller, cancellationToken);

        return new OpsQueryResult(answer.Query, [.. answer.Projections.Select(p => new OpsQueryProjection(p.Name, p.Version))], answer.Position, answer.FreshnessAt, answer.TenantId, answer.Mode, answer.Result);
    }

    /// <summary>The kernel's clock (<see cref="TimeProvider"/>; a fake one in tests): consent signatures and expiries are stamped with it.</summary>
    public TimeProvider Time => _kernel.Time;

    /// <summary>What the kernel runs on: mode, routes, the log's database and head, and whether <c>init</c> has run.</summary>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The status as of the log's head.</returns>
    public async Task<OpsStatus> StatusAsync(CancellationToken cancellationToken)
    {
        var core = await _kernel.CoreReader.CurrentAsync(cancellationToken);
        var log = _kernel.EngineFor("event_log");
        return new OpsStatus(
            _kernel.Options.Mode,
            log.Description,
            log.Provider,
            await _kernel.EventLog.HeadPositionAsync(cancellationToken),
            _kernel.Routes.All.OrderBy(r => r.ResourceKind, StringComparer.Ordinal).ToDictionary(r => r.ResourceKind, r => r.Label, StringComparer.Ordinal),
            core.Actors.Count);
    }

    /// <summary>What the loaded packs registered: packs, command types with their target bindings, queries, connectors and projections.</summary>
    public OpsCatalog Catalog => _catalog ??= new OpsCatalog(
        [.. _kernel.Registry.Packs.Where(p => p.PackId != "core").Select(p => new Microsoft.Extensions.DependencyInjection.OpsPackInfo(p.PackId, p.Version, p.ContentHash, p.Directory, p.Exports, p.DependsOn, p.Installed))],
        [.. _kernel.Registry.Commands.Values.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => new OpsCommandInfo(c.Name, c.Owner, c.SafetyClass, c.TargetDescription))],
        [.. _kernel.Registry.Queries.Values.OrderBy(q => q.Name, StringComparer.Ordinal).Select(q => new OpsQueryInfo(q.Name, q.Owner, q.Route))],
        [.. _kernel.Registry.Connectors.Keys.Order(StringComparer.Ordinal)],
        [.. _kernel.Registry.Projections.Values.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => new OpsProjectionInfo(p.Name, p.Owner, p.Version, p.Tenancy, p.ResourceKind))]);

    /// <summary>
    /// Who a bearer API key (<c>ops_&lt;key_id&gt;_&lt;secret&gt;</c>) authenticates as, checked against the log's state as of
    /// its head, so a key revoked or an actor disabled from any process is refused at once. A malformed token is refused
    /// without a lookup; the hash comparison is constant-time; use of a revoked key or a disabled actor's key is recorded
    /// on the safety stream (issue 7). Rate-limiting failures per client is the host's part.
    /// </summary>
    /// <param name="token">The bearer token.</param>
    /// <param name="route">The route it was presented on, for the safety record, for example <c>GET /v1/status</c>.</param>
    /// <param name="clientAddress">The client's address, for the safety record.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The authenticated actor.</returns>
    /// <exception cref="OpsException"><see cref="ReasonCodes.Unauthenticated"/>, with the operator-facing reason; nothing was changed but the safety record.</exception>
    public async Task<ActorRef> AuthenticateAsync(string? token, string route, string clientAddress, CancellationToken cancellationToken)
    {
        if (!ApiKeys.IsWellFormed(token))
        {
            throw new OpsException(ReasonCodes.Unauthenticated, "The API key is not valid (expected ops_<key id>_<secret>).");
        }

        var core = await _kernel.CoreReader.CurrentAsync(cancellationToken);
        var check = ApiKeys.Authenticate(core, token, core.EnforcementTime(_kernel.Time.GetUtcNow()));
        if (check.Actor is { } actor)
        {
            return new ActorRef(actor.ActorId, actor.Kind);
        }

        if (check.Failure is "key_revoked" or "actor_disabled")
        {
            var tenant = check.ActorId is { } id && core.Actors.TryGetValue(id, out var owner) ? owner.TenantId : null;
            await _kernel.Safety.RecordAsync(new Safety.SafetyDecision(route, check.ActorId, tenant, null, ReasonCodes.Unauthenticated, $"API key {check.KeyId} refused: {check.Failure}", "client_address", clientAddress, null), cancellationToken);
        }

        throw new OpsException(ReasonCodes.Unauthenticated, check.Failure switch
        {
            "key_revoked" => "The API key has been revoked.",
            "actor_disabled" => "The key's actor is disabled.",
            _ => "The API key is not valid.",
        });
    }

    /// <summary>
    /// Checks an identity field a client claimed (a header, a body member) against the one derived from authentication
    /// (seed 001 §5): a claim that agrees adds nothing; one that disagrees is refused and recorded on the safety stream.
    /// Identity is never taken from a claim.
    /// </summary>
    /// <param name="caller">The authenticated caller.</param>
    /// <param name="field"><c>tenant_id</c>, <c>user_id</c>, <c>actor_id</c>, <c>mode</c> or <c>surface_id</c>.</param>
    /// <param name="claimed">The claimed value.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="OpsException"><see cref="ReasonCodes.IdentityMismatch"/>: the claim disagrees; <see cref="ReasonCodes.UnknownActor"/>: the caller is not registered; nothing was changed but the safety record.</exception>
    /// <exception cref="ArgumentException"><paramref name="field"/> is not one of the five.</exception>
    public async Task CheckIdentityClaimAsync(CallerContext caller, string field, string claimed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(claimed);
        var core = await _kernel.CoreReader.CurrentAsync(cancellationToken);
        if (!core.Actors.TryGetValue(caller.Actor.Id, out var actor))
        {
            throw new OpsException(ReasonCodes.UnknownActor, $"Actor '{caller.Actor.Id}' is not registered. Nothing was changed.");
        }

        var derived = field switch
        {
            "tenant_id" => actor.TenantId,
            "user_id" or "actor_id" => actor.ActorId,
            "mode" => _kernel.Options.Mode,
            "surface_id" => caller.SurfaceId,
            _ => throw new ArgumentException($"'{field}' is not an identity field.", nameof(field)),
        };
        if (string.Equals(claimed, derived, StringComparison.Ordinal))
        {
            return;
        }

        var message = $"{field} '{(claimed.Length > 64 ? claimed[..64] + "…" : claimed)}' does not match the authenticated {field} '{derived}'; identity comes from authentication, never from a claim";
        await _kernel.Safety.RecordAsync(new Safety.SafetyDecision(caller.Route ?? caller.SurfaceId, actor.ActorId, actor.TenantId, null, ReasonCodes.IdentityMismatch, message, field, claimed, derived), cancellationToken);
        throw new OpsException(ReasonCodes.IdentityMismatch, message + ". Nothing was changed.");
    }

    /// <summary>
    /// Checks that <paramref name="caller"/> holds a valid capability for <paramref name="action"/> on
    /// <paramref name="target"/>, against the log's state as of its head (a capability revoked from any process stops
    /// the next call). For a host's own routes; commands are authorized by the gateway. A refusal is recorded on the
    /// safety stream (seed 001).
    /// </summary>
    /// <param name="caller">The authenticated caller.</param>
    /// <param name="action">The action, for example <c>core.ReadLog</c>.</param>
    /// <param name="target">The target_ref, for example <c>log</c>.</param>
    /// <param name="safety">The action's safety class.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="OpsException"><see cref="ReasonCodes.CapabilityDenied"/> with why; nothing was changed but the safety record.</exception>
    public async Task AuthorizeAsync(CallerContext caller, string action, string target, SafetyClass safety, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var core = await _kernel.CoreReader.CurrentAsync(cancellationToken);
        var decision = CapabilityEvaluator.FindFor(core, caller.Actor.Id, action, target, safety, core.EnforcementTime(_kernel.Time.GetUtcNow()));
        if (decision.Allowed)
        {
            return;
        }

        var tenant = core.Actors.TryGetValue(caller.Actor.Id, out var actor) ? actor.TenantId : null;
        await _kernel.Safety.RecordAsync(new Safety.SafetyDecision(caller.Route ?? action, caller.Actor.Id, tenant, null, ReasonCodes.CapabilityDenied, decision.Reason!), cancellationToken);
        throw new OpsException(ReasonCodes.CapabilityDenied, decision.Reason! + " Nothing was changed.");
    }

    /// <summary>
    /// Checks that <paramref name="caller"/> holds a valid capability for <paramref name="action"/> on at least one target
    /// starting with <paramref name="targetPrefix"/>, before the host reads anything the target would be named from (issue
    /// 20 item 5: a pack folder's manifest). A caller with no such right is refused the same way whatever the request
    /// names, so it learns nothing about the worker's files; the exact target is authorized again once it is known.
    /// </summary>
    /// <param name="caller">The authenticated caller.</param>
    /// <param name="action">The action, for example <c>core.InstallPack</c>.</param>
    /// <param name="targetPrefix">The prefix every target of the action has, for example <c>pack:</c>.</param>
    /// <param name="safety">The action's safety class.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="OpsException"><see cref="ReasonCodes.CapabilityDenied"/>; nothing was changed but the safety record.</exception>
    public async Task AuthorizeAnyTargetAsync(CallerContext caller, string action, string targetPrefix, SafetyClass safety, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentException.ThrowIfNullOrEmpty(targetPrefix);
        var core = await _kernel.CoreReader.CurrentAsync(cancellationToken);
        if (CapabilityEvaluator.AllowsSomeTarget(core, caller.Actor.Id, action, targetPrefix, safety, core.EnforcementTime(_kernel.Time.GetUtcNow())))
        {
            return;
        }

        var reason = $"no capability of actor '{caller.Actor.Id}' allows {action} on any '{targetPrefix}*' target";
        var tenant = core.Actors.TryGetValue(caller.Actor.Id, out var actor) ? actor.TenantId : null;
        await _kernel.Safety.RecordAsync(new Safety.SafetyDecision(caller.Route ?? action, caller.Actor.Id, tenant, null, ReasonCodes.CapabilityDenied, reason), cancellationToken);
        throw new OpsException(ReasonCodes.CapabilityDenied, reason + ". Nothing was changed.");
    }

    /// <summary>
    /// Records a refusal the host made at its own edge (a pack folder that failed its checks, a request refused before it
    /// reached the gateway) on the safety stream, rate-limited and coalesced per actor and reason (seed 001: refusals
    /// are recorded even when nothing executes).
    /// </summary>
    /// <param name="caller">Who was refused.</param>
    /// <param name="route">Where, for example <c>POST /v1/packs/proposals</c>.</param>
    /// <param name="reasonCode">A code from <see cref="ReasonCodes"/>.</param>
    /// <param name="reason">Why, operator-facing; never a secret.</param>
    /// <param name="cancellationToken">Cancels waiting for the writer.</param>
    public async Task RecordRefusalAsync(CallerContext caller, string route, string reasonCode, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var core = await _kernel.CoreReader.CurrentAsync(cancellationToken);
        var tenant = core.Actors.TryGetValue(caller.Actor.Id, out var actor) ? actor.TenantId : null;
        await _kernel.Safety.RecordAsync(new Safety.SafetyDecision(route, caller.Actor.Id, tenant, null, reasonCode, reason), cancellationToken);
    }

    /// <summary>The log in position order, for a caller holding <c>core.ReadLog</c> on <c>log</c>.</summary>
    /// <param name="caller">The authenticated caller.</param>
    /// <param name="afterPosition">Events after this position (0 for the start).</param>
    /// <param name="limit">At most this many, 1 to 1,000.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The events.</returns>
    /// <exception cref="OpsException"><see cref="ReasonCodes.CapabilityDenied"/> (recorded); <see cref="ReasonCodes.BadRequest"/> for a position below 0 or a limit outside 1..1000.</exception>
    public async Task<IReadOnlyList<LoggedEvent>> ReadEventsAsync(CallerContext caller, long afterPosition, int limit, CancellationToken cancellationToken)
    {
        if (afterPosition < 0 || limit is < 1 or > 1000)
        {
            throw new OpsException(ReasonCodes.BadRequest, "after must be ≥ 0 and limit between 1 and 1000. Nothing was read.");
        }

        await AuthorizeAsync(caller, ReadLogAction, "log", SafetyClass.Read, cancellationToken);
        if (await OwnTenantUnlessRootAsync(caller, "log", cancellationToken) is not { } tenant)
        {
            return await _kernel.EventLog.ReadAsync(afterPosition, limit, cancellationToken);
        }

        // A tenant's reader sees its tenant's rows only (seed 001); pages are read on until the page is full or the log ends.
        var page = new List<LoggedEvent>(limit);
        var after = afterPosition;
        while (page.Count < limit)
        {
            var batch = await _kernel.EventLog.ReadAsync(after, 1000, cancellationToken);
            if (batch.Count == 0)
            {
                break;
            }

            foreach (var logged in batch)
            {
                if (page.Count < limit && logged.Envelope.Scope.TenantId == tenant)
                {
                    page.Add(logged);
                }
            }

            after = batch[^1].Position;
        }

        return page;
    }

    /// <summary>Audit records of committed mutations (seed 000), for a caller holding <c>core.ReadLog</c> on <c>audit</c>.</summary>
    /// <param name="caller">The authenticated caller.</param>
    /// <param name="actor">Only this actor's, or null.</param>
    /// <param name="target">Only this target_ref's, or null.</param>
    /// <param name="from">Committed at or after (UTC), or null.</param>
    /// <param name="to">Committed before (UTC), or null.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>In log order.</returns>
    /// <exception cref="OpsException"><see cref="ReasonCodes.CapabilityDenied"/> (recorded).</exception>
    public async Task<IReadOnlyList<Consent.AuditRecord>> ReadAuditAsync(CallerContext caller, string? actor, string? target, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        await AuthorizeAsync(caller, ReadLogAction, "audit", SafetyClass.Read, cancellationToken);
        var tenant = await OwnTenantUnlessRootAsync(caller, "audit", cancellationToken);
        return await Consent.AuditReader.QueryAsync(_kernel.EventLog, actor, target, from, to, cancellationToken, tenant);
    }

    /// <summary>
    /// The caller's own tenant, to scope a read of <paramref name="target"/> to; null when the caller's <c>core.ReadLog</c>
    /// capability spans every tenant (a root reader: <see cref="CapabilityScope.Tenants"/> names <c>*</c>).
    /// </summary>
    private async Task<string?> OwnTenantUnlessRootAsync(CallerContext caller, string target, CancellationToken cancellationToken)
    {
        var core = await _kernel.CoreReader.CurrentAsync(cancellationToken);
        var now = core.EnforcementTime(_kernel.Time.GetUtcNow());
        return CapabilityEvaluator.IsRootFor(core, caller.Actor.Id, ReadLogAction, target, SafetyClass.Read, now)
            ? null
            : core.Actors.TryGetValue(caller.Actor.Id, out var actor) ? actor.TenantId : "\u0000none";
    }

    /// <summary>
    /// Runs an ingress connector once as <paramref name="caller"/>, who needs <c>core.SyncConnector</c> on
    /// <c>connector:&lt;pack&gt;.&lt;name&gt;</c> (constitution A8: connectors only ingest, each page with its cursor).
    /// </summary>
    /// <param name="connectorId"><c>&lt;pack&gt;.&lt;name&gt;</c>.</param>
    /// <param name="caller">The authenticated caller.</param>
    /// <param name="cancellationToken">Cancels the sync between pages; stored pages stay stored.</param>
    /// <returns>Pages, items observed and appended, and the cursor.</returns>
    /// <exception cref="OpsException"><see cref="ReasonCodes.NotFound"/>: no such connector.</exception>
    /// <exception cref="Connectors.ConnectorDeniedException">The caller may not run it (recorded).</exception>
    /// <exception cref="Connectors.ConnectorException">The source failed or answered unexpectedly; pages stored before stay stored. Its text may quote the source: pass it through <see cref="Redact"/> before logging.</exception>
    public async Task<Connectors.SyncResult> SyncConnectorAsync(string connectorId, CallerContext caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connectorId);
        if (!_kernel.Registry.Connectors.ContainsKey(connectorId))
        {
            throw new OpsException(ReasonCodes.NotFound, $"No connector '{connectorId}' is installed; installed: {string.Join(", ", _kernel.Registry.Connectors.Keys.Order(StringComparer.Ordinal))}. Nothing was changed.");
        }

        return await _kernel.Connectors.SyncAsync(connectorId, caller, null, cancellationToken);
    }

    /// <summary>Replaces every secret value the kernel's secrets provider holds (<c>Ops:Secrets</c>) with <c>***</c>, so a text can be logged (never log a secret).</summary>
    /// <param name="text">Any text, for example an exception's.</param>
    /// <returns>The text without secrets.</returns>
    public string Redact(string text) => _kernel.Secrets.Redact(text);

    private OpsCatalog? _catalog;

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

/// <summary>What <see cref="OpsRuntime.StatusAsync"/> reports.</summary>
/// <param name="Mode">The host's mode (seed 001).</param>
/// <param name="Database">The log's database (provider and file or server; never a password).</param>
/// <param name="Provider"><c>sqlite</c>, <c>postgres</c> or <c>sqlserver</c>.</param>
/// <param name="HeadPosition">The log's head position (0 for an empty log).</param>
/// <param name="Routes">Each resource kind's route label (seed 001 routing).</param>
/// <param name="Actors">Registered actors; 0 until <c>init</c>.</param>
public sealed record OpsStatus(string Mode, string Database, string Provider, long HeadPosition, IReadOnlyDictionary<string, string> Routes, int Actors);

/// <summary>What the loaded packs registered (<see cref="OpsRuntime.Catalog"/>); the kernel's own <c>core</c> pack is left out of <see cref="Packs"/>.</summary>
/// <param name="Packs">Loaded packs.</param>
/// <param name="Commands">Command types, by name.</param>
/// <param name="Queries">Queries, by name.</param>
/// <param name="Connectors">Connector ids, <c>&lt;pack&gt;.&lt;name&gt;</c>.</param>
/// <param name="Projections">Projections, by name.</param>
public sealed record OpsCatalog(
    IReadOnlyList<Microsoft.Extensions.DependencyInjection.OpsPackInfo> Packs,
    IReadOnlyList<OpsCommandInfo> Commands,
    IReadOnlyList<OpsQueryInfo> Queries,
    IReadOnlyList<string> Connectors,
    IReadOnlyList<OpsProjectionInfo> Projections);

/// <summary>A registered command type.</summary>
/// <param name="Name">Its type, <c>pack.&lt;id&gt;.&lt;domain&gt;.&lt;Name&gt;</c> or <c>core.&lt;Name&gt;</c>.</param>
/// <param name="Owner">The pack that registered it.</param>
/// <param name="SafetyClass">Its safety class (constitution A3).</param>
/// <param name="TargetDescription">What its target_ref must name (the object binding, issue 7).</param>
public sealed record OpsCommandInfo(string Name, string Owner, SafetyClass SafetyClass, string TargetDescription);

/// <summary>A registered query.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Owner">The pack that registered it.</param>
/// <param name="Route">Its route within the pack (<see cref="OpsRuntime.QueryAsync"/>).</param>
public sealed record OpsQueryInfo(string Name, string Owner, string Route);

/// <summary>A registered projection (constitution A6).</summary>
/// <param name="Name">Its name.</param>
/// <param name="Owner">The pack that registered it.</param>
/// <param name="Version">Its version; a new one rebuilds it.</param>
/// <param name="Tenancy">How its documents are scoped.</param>
/// <param name="ResourceKind">The resource kind it is routed by.</param>
public sealed record OpsProjectionInfo(string Name, string Owner, int Version, ProjectionTenancy Tenancy, string ResourceKind);
