using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Ops.Core.Capabilities;
using Ops.Core.Commands;
using Ops.Core.Connectors;
using Ops.Core.Envelopes;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Core.Packs;
using Ops.Host.Packs;

namespace Ops.Host.Http;

/// <summary>The HTTP API (v1). Every route but /healthz needs a bearer API key.</summary>
internal static class Api
{
    /// <summary>Reading the raw log is itself a capability-checked READ action.</summary>
    public const string ReadLogAction = "core.ReadLog";

    /// <summary>Identity headers a client might send; each is a claim that must match the server-derived value (seed 001 §5).</summary>
    private static readonly (string Header, string Field)[] IdentityHeaders =
    [
        ("X-Tenant-Id", "tenant_id"), ("X-User-Id", "user_id"), ("X-Actor-Id", "actor_id"), ("X-Mode", "mode"), ("X-Surface-Id", "surface_id"),
    ];

    public static void Map(WebApplication app)
    {
        app.MapGet("/", () => Results.Json(new RootDocument("AlignTrue Ops worker", "A kernel for governed operations: one append-only, hash-chained event log; capabilities; consent-first mutations.", "/openapi/v1.json", "/healthz", "docs/operations.md and docs/security.md in the source repository"), OpsJson.Options))
            .AllowAnonymous().WithSummary("What this worker is, and where its OpenAPI document and docs are.").Produces<RootDocument>();
        app.MapGet("/healthz", () => Results.Json(new HealthDocument("ok"), OpsJson.Options))
            .AllowAnonymous().WithSummary("Liveness: the worker is up and ready. Says nothing else without a key.").Produces<HealthDocument>();
        var v1 = app.MapGroup("/v1").RequireAuthorization().AddEndpointFilter(RefuseIdentityClaimsAsync)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status429TooManyRequests);
        v1.MapGet("/status", Status).WithSummary("Mode, routes and the log's head position.").Produces<StatusDocument>();
        v1.MapPost("/commands", SendCommand).WithSummary("Decide a READ command. A WRITE command here is refused with consent_required (428).")
            .Accepts<CommandEnvelope>("application/json").Produces<CommandOutcome>().ProducesProblem(400).ProducesProblem(415).ProducesProblem(428).ProducesProblem(409).ProducesProblem(422);
        v1.MapPost("/proposals", Propose).WithSummary("Propose a command: every interpretation with its pure preview and preview hash. Writes nothing.")
            .Accepts<CommandEnvelope>("application/json").Produces<Ops.Core.Consent.Proposal>().Produces<CommandOutcome>(StatusCodes.Status409Conflict).ProducesProblem(400).ProducesProblem(415).ProducesProblem(422);
        v1.MapPost("/commits", Commit).WithSummary("Commit a proposal under consent: decided again; events, consent record and audit record in one transaction.")
            .Accepts<Ops.Core.Consent.CommitRequest>("application/json").Produces<Ops.Core.Consent.CommitResult>().ProducesProblem(400).ProducesProblem(409).ProducesProblem(415).ProducesProblem(422);
        v1.MapGet("/audit", Audit).WithSummary("Audit records of committed mutations (needs core.ReadLog on 'audit').").Produces<AuditPage>().ProducesProblem(400);
        v1.MapGet("/events", ReadEvents).WithSummary("The log in position order (needs core.ReadLog on 'log').").Produces<EventsPage>().ProducesProblem(400);
        v1.MapGet("/packs", ListPacks).WithSummary("Loaded and refused packs, command types with their target bindings, queries, connectors.").Produces<PacksDocument>();
        PackRoutes.Map(v1);
        EgressRoutes.Map(v1);
        v1.MapPost("/connectors/{pack}/{name}/sync", SyncConnector).WithSummary("Run an ingress connector (needs core.SyncConnector on connector:<pack>.<name>).")
            .Produces<Ops.Core.Connectors.SyncResult>().ProducesProblem(404).ProducesProblem(502);
        ConnectorRoutes.Map(v1);
        v1.MapGet("/queries/{pack}/{query}", RunQuery).WithSummary("A pack's query over its projections, scoped to the caller's tenant and mode; arguments from the query string.")
            .Produces<QueryDocument>().ProducesProblem(400).ProducesProblem(404);
    }

    /// <summary>
    /// Any identity header that disagrees with the authenticated identity is refused with 403 and recorded on the
    /// safety stream; one that agrees is accepted (it adds nothing). Nothing is ever taken from them.
    /// </summary>
    private static async ValueTask<object?> RefuseIdentityClaimsAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var kernel = context.RequestServices.GetRequiredService<OpsKernel>();
        foreach (var (header, field) in IdentityHeaders)
        {
            if (!context.Request.Headers.TryGetValue(header, out var values))
            {
                continue;
            }

            var caller = Caller(context);
            var core = await kernel.CoreReader.CurrentAsync(context.RequestAborted);
            var actor = core.Actors[caller.Actor.Id];
            var derived = field switch
            {
                "tenant_id" => actor.TenantId,
                "user_id" or "actor_id" => actor.ActorId,
                "mode" => kernel.Options.Mode,
                _ => caller.SurfaceId,
            };
            var claimed = values.ToString();
            if (!string.Equals(claimed, derived, StringComparison.Ordinal))
            {
                var message = $"{header} '{(claimed.Length > 64 ? claimed[..64] + "…" : claimed)}' does not match the authenticated {field} '{derived}'; identity comes from authentication, never from headers";
                await kernel.Safety.RecordAsync(new Ops.Core.Safety.SafetyDecision(caller.Route!, actor.ActorId, actor.TenantId, null, Ops.Core.Errors.ReasonCodes.IdentityMismatch, message, field, claimed, derived), context.RequestAborted);
                return Problems.Of(Ops.Core.Errors.ReasonCodes.IdentityMismatch, message + ". Nothing was changed.");
            }
        }

        return await next(invocation);
    }

    private static async Task<IResult> Status(OpsKernel kernel, CancellationToken ct) => Results.Json(
        new StatusDocument("ok", kernel.Options.Mode, await kernel.EventLog.HeadPositionAsync(ct), kernel.Routes.All.OrderBy(r => r.ResourceKind, StringComparer.Ordinal).ToDictionary(r => r.ResourceKind, r => r.Label)),
        OpsJson.Options);

    private static async Task<IResult> SendCommand(HttpRequest request, OpsKernel kernel, CancellationToken ct)
    {
        var envelope = await ReadBodyAsync<CommandEnvelope>(request, "a command envelope", ct);
        if (envelope.Problem is not null)
        {
            return envelope.Problem;
        }

        var outcome = await kernel.Gateway.SendAsync(envelope.Value!, Caller(request.HttpContext), ct);
        return outcome.IsAccepted ? Results.Json(outcome, OpsJson.Options) : Problems.Rejected(outcome);
    }

    private static async Task<IResult> Propose(HttpRequest request, OpsKernel kernel, CancellationToken ct)
    {
        var envelope = await ReadBodyAsync<CommandEnvelope>(request, "a command envelope", ct);
        if (envelope.Problem is not null)
        {
            return envelope.Problem;
        }

        var result = await kernel.Gateway.ProposeAsync(envelope.Value!, Caller(request.HttpContext), ct);
        return result.Proposal is { } proposal
            ? Results.Json(proposal, OpsJson.Options)
            : result.Rejection!.IsAccepted
                ? Results.Json(result.Rejection, OpsJson.Options, statusCode: StatusCodes.Status409Conflict)
                : Problems.Rejected(result.Rejection);
    }

    private static async Task<IResult> Commit(HttpRequest request, OpsKernel kernel, CancellationToken ct)
    {
        var body = await ReadBodyAsync<Ops.Core.Consent.CommitRequest>(request, "a commit request {command, proposed_at, interpretation_id, preview_hash, consent}", ct);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        var result = await kernel.Gateway.CommitAsync(body.Value!, Caller(request.HttpContext), ct);
        return result.Outcome.IsAccepted ? Results.Json(result, OpsJson.Options) : Problems.Rejected(result.Outcome);
    }

    private static async Task<IResult> Audit(HttpContext context, OpsKernel kernel, [FromQuery] string? actor, [FromQuery] string? target, [FromQuery] DateTimeOffset? from, [FromQuery] DateTimeOffset? to, CancellationToken ct)
    {
        var denied = await AuthorizeAsync(context, kernel, ReadLogAction, "audit", SafetyClass.Read, ct);
        if (denied is not null)
        {
            return denied;
        }

        var records = await Ops.Core.Consent.AuditReader.QueryAsync(kernel.EventLog, actor, target, from?.ToUniversalTime(), to?.ToUniversalTime(), ct);
        return Results.Json(new AuditPage(records), OpsJson.Options);
    }

    private static async Task<(T? Value, IResult? Problem)> ReadBodyAsync<T>(HttpRequest request, string what, CancellationToken ct)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, Problems.Of(Ops.Core.Errors.ReasonCodes.UnsupportedMediaType, $"The body must be JSON (Content-Type: application/json), not '{request.ContentType}'; send {what}. Nothing was changed."));
        }

        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, OpsJson.Options, ct);
            return value is null ? (null, Problems.BadRequest($"The body is empty; send {what}.")) : (value, null);
        }
        catch (JsonException ex)
        {
            // Where it failed, never the exception's text: it names .NET types.
            var at = ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1}{(ex.Path is { Length: > 0 } path ? ", at " + path : string.Empty)})" : string.Empty;
            return (null, Problems.BadRequest($"The body is not {what}{at}: malformed JSON, a member named twice, a missing or unknown member, or a value of the wrong type."));
        }
    }

    private static async Task<IResult> ReadEvents(HttpContext context, OpsKernel kernel, [FromQuery] long? after, [FromQuery] int? limit, CancellationToken ct)
    {
        if (after is < 0 || limit is < 1 or > 1000)
        {
            return Problems.BadRequest("after must be ≥ 0 and limit between 1 and 1000.");
        }

        var denied = await AuthorizeAsync(context, kernel, ReadLogAction, "log", SafetyClass.Read, ct);
        if (denied is not null)
        {
            return denied;
        }

        var events = await kernel.EventLog.ReadAsync(after ?? 0, limit ?? 100, ct);
        return Results.Json(new EventsPage([.. events.Select(e => new EventItem(e.Position, e.Envelope))], events.Count > 0 ? events[^1].Position : after ?? 0), OpsJson.Options);
    }

    private static IResult ListPacks(OpsKernel kernel, PackLoader loader) => Results.Json(
        new PacksDocument(
            [.. kernel.Registry.Packs.Where(p => p.PackId != "core").Select(p => new PackItem(p.PackId, p.Version, p.ContentHash, p.Exports, p.DependsOn))],
            [.. loader.Refused.Select(r => new RefusedPackItem(r.PackId, r.Code, r.Reason))],
            [.. kernel.Registry.Commands.Values.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => new CommandItem(c.Name, c.Owner, c.SafetyClass, c.TargetDescription))],
            [.. kernel.Registry.Queries.Values.Select(q => new QueryItem(q.Name, $"/v1/queries/{q.Owner}/{q.Route}"))],
            [.. kernel.Registry.Connectors.Keys]),
        OpsJson.Options);

    private static async Task<IResult> SyncConnector(HttpContext context, OpsKernel kernel, ILoggerFactory loggers, string pack, string name, CancellationToken ct)
    {
        var connectorId = $"{pack}.{name}";
        if (!kernel.Registry.Connectors.ContainsKey(connectorId))
        {
            return Problems.NotFound($"No connector '{connectorId}' is installed; installed: {string.Join(", ", kernel.Registry.Connectors.Keys)}.");
        }

        try
        {
            var result = await kernel.Connectors.SyncAsync(connectorId, Caller(context), null, ct);
            return Results.Json(result, OpsJson.Options);
        }
        catch (ConnectorDeniedException ex)
        {
            return Problems.Forbidden(ex.Message);
        }
        catch (ConnectorException ex)
        {
            // The upstream's words stay in the worker's log (secrets redacted): an echoing upstream must not put a token in a response.
            HostLog.ConnectorFailed(loggers.CreateLogger("Ops.Host.Connectors"), connectorId, kernel.Secrets.Redact(ex.ToString()));
            return Problems.Of(Ops.Core.Errors.ReasonCodes.UpstreamFailed, $"Connector {connectorId} could not finish the sync: the source failed or answered unexpectedly (details are in the worker's log). Pages stored before the failure stay stored, with their cursor; nothing else changed.");
        }
    }

    private static async Task<IResult> RunQuery(HttpContext context, OpsRuntime runtime, string pack, string query, CancellationToken ct)
    {
        var arguments = new JsonObject();
        foreach (var (key, value) in context.Request.Query)
        {
            arguments[key] = value.ToString();
        }

        // The kernel checks the caller's READ capability, catches the pack's projections up (read-your-writes) and scopes every read to the caller's tenant and mode.
        OpsQueryResult answer;
        try
        {
            answer = await runtime.QueryAsync(pack, query, JsonSerializer.SerializeToElement(arguments), Caller(context), ct);
        }
        catch (Ops.Core.Errors.OpsException ex)
        {
            return Problems.From(ex);
        }

        return Results.Json(
            new QueryDocument(answer.Query, [.. answer.Projections.Select(p => new QueryProjectionItem(p.Name, p.Version))], answer.Position, answer.FreshnessAt, new AccessScope(answer.TenantId, answer.Mode), answer.Result),
            OpsJson.Options);
    }

    /// <summary>A READ action checked against the log's state as of its head: a capability revoked from any process stops reads at once.</summary>
    private static async Task<IResult?> AuthorizeAsync(HttpContext context, OpsKernel kernel, string action, string target, SafetyClass safety, CancellationToken ct)
    {
        var caller = Caller(context);
        var core = await kernel.CoreReader.CurrentAsync(ct);
        var decision = CapabilityEvaluator.FindFor(core, caller.Actor.Id, action, target, safety, core.EnforcementTime(kernel.Time.GetUtcNow()));
        if (decision.Allowed)
        {
            return null;
        }

        var tenant = core.Actors.TryGetValue(caller.Actor.Id, out var actor) ? actor.TenantId : null;
        await kernel.Safety.RecordAsync(new Ops.Core.Safety.SafetyDecision(caller.Route!, caller.Actor.Id, tenant, null, Ops.Core.Errors.ReasonCodes.CapabilityDenied, decision.Reason!), ct);
        return Problems.Forbidden(decision.Reason!);
    }

    private static CallerContext Caller(HttpContext context) =>
        new(ApiKeyAuthentication.ActorOf(context.User), "api") { Route = $"{context.Request.Method} {context.Request.Path}" };
}
