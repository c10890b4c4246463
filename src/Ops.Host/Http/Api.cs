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
        var runtime = context.RequestServices.GetRequiredService<OpsRuntime>();
        foreach (var (header, field) in IdentityHeaders)
        {
            if (!context.Request.Headers.TryGetValue(header, out var values))
            {
                continue;
            }

            try
            {
                await runtime.CheckIdentityClaimAsync(Caller(context), field, values.ToString(), context.RequestAborted);
            }
            catch (Ops.Core.Errors.OpsException ex)
            {
                return Problems.From(ex);
            }
        }

        return await next(invocation);
    }

    private static async Task<IResult> Status(OpsRuntime runtime, CancellationToken ct)
    {
        var status = await runtime.StatusAsync(ct);
        return Results.Json(new StatusDocument("ok", status.Mode, status.HeadPosition, status.Routes.ToDictionary()), OpsJson.Options);
    }

    private static async Task<IResult> SendCommand(HttpRequest request, ICommandGateway gateway, CancellationToken ct)
    {
        var envelope = await ReadBodyAsync<CommandEnvelope>(request, "a command envelope", ct);
        if (envelope.Problem is not null)
        {
            return envelope.Problem;
        }

        var outcome = await gateway.SendAsync(envelope.Value!, Caller(request.HttpContext), ct);
        return outcome.IsAccepted ? Results.Json(outcome, OpsJson.Options) : Problems.Rejected(outcome);
    }

    private static async Task<IResult> Propose(HttpRequest request, ICommandGateway gateway, CancellationToken ct)
    {
        var envelope = await ReadBodyAsync<CommandEnvelope>(request, "a command envelope", ct);
        if (envelope.Problem is not null)
        {
            return envelope.Problem;
        }

        var result = await gateway.ProposeAsync(envelope.Value!, Caller(request.HttpContext), ct);
        return result.Proposal is { } proposal
            ? Results.Json(proposal, OpsJson.Options)
            : result.Rejection!.IsAccepted
                ? Results.Json(result.Rejection, OpsJson.Options, statusCode: StatusCodes.Status409Conflict)
                : Problems.Rejected(result.Rejection);
    }

    private static async Task<IResult> Commit(HttpRequest request, ICommandGateway gateway, CancellationToken ct)
    {
        var body = await ReadBodyAsync<Ops.Core.Consent.CommitRequest>(request, "a commit request {command, proposed_at, interpretation_id, preview_hash, consent}", ct);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        var result = await gateway.CommitAsync(body.Value!, Caller(request.HttpContext), ct);
        return result.Outcome.IsAccepted ? Results.Json(result, OpsJson.Options) : Problems.Rejected(result.Outcome);
    }

    private static async Task<IResult> Audit(HttpContext context, OpsRuntime runtime, [FromQuery] string? actor, [FromQuery] string? target, [FromQuery] DateTimeOffset? from, [FromQuery] DateTimeOffset? to, CancellationToken ct)
    {
        try
        {
            var records = await runtime.ReadAuditAsync(Caller(context), actor, target, from?.ToUniversalTime(), to?.ToUniversalTime(), ct);
            return Results.Json(new AuditPage(records), OpsJson.Options);
        }
        catch (Ops.Core.Errors.OpsException ex)
        {
            return Problems.From(ex);
        }
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

    private static async Task<IResult> ReadEvents(HttpContext context, OpsRuntime runtime, [FromQuery] long? after, [FromQuery] int? limit, CancellationToken ct)
    {
        try
        {
            var events = await runtime.ReadEventsAsync(Caller(context), after ?? 0, limit ?? 100, ct);
            return Results.Json(new EventsPage([.. events.Select(e => new EventItem(e.Position, e.Envelope))], events.Count > 0 ? events[^1].Position : after ?? 0), OpsJson.Options);
        }
        catch (Ops.Core.Errors.OpsException ex)
        {
            return Problems.From(ex);
        }
    }

    private static IResult ListPacks(OpsRuntime runtime, PackLoader loader)
    {
        var catalog = runtime.Catalog;
        return Results.Json(
            new PacksDocument(
                [.. catalog.Packs.Select(p => new PackItem(p.PackId, p.Version, p.ContentHash, p.Exports, p.DependsOn))],
                [.. loader.Refused.Select(r => new RefusedPackItem(r.PackId, r.Code, r.Reason))],
                [.. catalog.Commands.Select(c => new CommandItem(c.Name, c.Owner, c.SafetyClass, c.TargetDescription))],
                [.. catalog.Queries.Select(q => new QueryItem(q.Name, $"/v1/queries/{q.Owner}/{q.Route}"))],
                [.. catalog.Connectors]),
            OpsJson.Options);
    }

    private static async Task<IResult> SyncConnector(HttpContext context, OpsRuntime runtime, ILoggerFactory loggers, string pack, string name, CancellationToken ct)
    {
        var connectorId = $"{pack}.{name}";
        try
        {
            var result = await runtime.SyncConnectorAsync(connectorId, Caller(context), ct);
            return Results.Json(result, OpsJson.Options);
        }
        catch (Ops.Core.Errors.OpsException ex)
        {
            return Problems.From(ex);
        }
        catch (ConnectorDeniedException ex)
        {
            return Problems.Forbidden(ex.Message);
        }
        catch (ConnectorException ex)
        {
            // The upstream's words stay in the worker's log (secrets redacted): an echoing upstream must not put a token in a response.
            HostLog.ConnectorFailed(loggers.CreateLogger("Ops.Host.Connectors"), connectorId, runtime.Redact(ex.ToString()));
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

    private static CallerContext Caller(HttpContext context) =>
        new(ApiKeyAuthentication.ActorOf(context.User), "api") { Route = $"{context.Request.Method} {context.Request.Path}" };
}
