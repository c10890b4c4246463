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

    public static void Map(WebApplication app)
    {
        app.MapGet("/healthz", Health).AllowAnonymous();
        var v1 = app.MapGroup("/v1").RequireAuthorization();
        v1.MapPost("/commands", SendCommand);
        v1.MapPost("/proposals", Propose);
        v1.MapPost("/commits", Commit);
        v1.MapGet("/audit", Audit);
        v1.MapGet("/events", ReadEvents);
        v1.MapGet("/packs", ListPacks);
        v1.MapPost("/connectors/{pack}/{name}/sync", SyncConnector);
        v1.MapGet("/queries/{pack}/{query}", RunQuery);
    }

    private static async Task<IResult> Health(OpsKernel kernel, CancellationToken ct) => Results.Json(
        new
        {
            status = "ok",
            mode = kernel.Options.Mode,
            head_position = await kernel.EventLog.HeadPositionAsync(ct),
            routes = kernel.Routes.All.OrderBy(r => r.ResourceKind, StringComparer.Ordinal).ToDictionary(r => r.ResourceKind, r => r.Label),
        },
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
        var denied = Authorize(context, kernel, ReadLogAction, "audit", SafetyClass.Read);
        if (denied is not null)
        {
            return denied;
        }

        var records = await Ops.Core.Consent.AuditReader.QueryAsync(kernel.EventLog, actor, target, from?.ToUniversalTime(), to?.ToUniversalTime(), ct);
        return Results.Json(new { records }, OpsJson.Options);
    }

    private static async Task<(T? Value, IResult? Problem)> ReadBodyAsync<T>(HttpRequest request, string what, CancellationToken ct)
        where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, OpsJson.Options, ct);
            return value is null ? (null, Problems.BadRequest($"The body is empty; send {what}.")) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, Problems.BadRequest($"The body is not {what}: {ex.Message}"));
        }
    }

    private static async Task<IResult> ReadEvents(HttpContext context, OpsKernel kernel, [FromQuery] long? after, [FromQuery] int? limit, CancellationToken ct)
    {
        if (after is < 0 || limit is < 1 or > 1000)
        {
            return Problems.BadRequest("after must be ≥ 0 and limit between 1 and 1000.");
        }

        var denied = Authorize(context, kernel, ReadLogAction, "log", SafetyClass.Read);
        if (denied is not null)
        {
            return denied;
        }

        var events = await kernel.EventLog.ReadAsync(after ?? 0, limit ?? 100, ct);
        return Results.Json(
            new { events = events.Select(e => new { position = e.Position, envelope = e.Envelope }), next_after = events.Count > 0 ? events[^1].Position : after ?? 0 },
            OpsJson.Options);
    }

    private static IResult ListPacks(OpsKernel kernel, PackLoader loader) => Results.Json(
        new
        {
            loaded = kernel.Registry.Packs.Where(p => p.PackId != "core").Select(p => new { pack_id = p.PackId, version = p.Version, content_hash = p.ContentHash, exports = p.Exports, depends_on = p.DependsOn }),
            refused = loader.Refused.Select(r => new { pack_id = r.PackId, reason = r.Reason }),
            commands = kernel.Registry.Commands.Values.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => new { name = c.Name, owner = c.Owner, safety_class = c.SafetyClass }),
            queries = kernel.Registry.Queries.Values.Select(q => new { name = q.Name, path = $"/v1/queries/{q.Owner}/{q.Route}" }),
            connectors = kernel.Registry.Connectors.Keys,
        },
        OpsJson.Options);

    private static async Task<IResult> SyncConnector(HttpContext context, OpsKernel kernel, string pack, string name, CancellationToken ct)
    {
        try
        {
            var result = await kernel.Connectors.SyncAsync($"{pack}.{name}", Caller(context), null, ct);
            return Results.Json(result, OpsJson.Options);
        }
        catch (ConnectorDeniedException ex)
        {
            return Problems.Forbidden(ex.Message);
        }
        catch (ConnectorException ex) when (ex.Message.Contains("is installed", StringComparison.Ordinal))
        {
            return Problems.NotFound(ex.Message);
        }
        catch (ConnectorException ex)
        {
            return Results.Problem(title: "Connector sync failed", detail: ex.Message, statusCode: StatusCodes.Status502BadGateway);
        }
    }

    private static async Task<IResult> RunQuery(HttpContext context, OpsKernel kernel, string pack, string query, CancellationToken ct)
    {
        if (!kernel.Registry.Queries.TryGetValue(QueryRegistration.QueryKey(pack, query), out var registration))
        {
            return Problems.NotFound($"No query '{query}' in pack '{pack}'. See GET /v1/packs for the installed queries.");
        }

        var denied = Authorize(context, kernel, registration.Name, "query:" + pack, SafetyClass.Read);
        if (denied is not null)
        {
            return denied;
        }

        var arguments = new JsonObject();
        foreach (var (key, value) in context.Request.Query)
        {
            arguments[key] = value.ToString();
        }

        // The kernel catches the pack's projections up (read-your-writes) and scopes every read to the caller's tenant and mode.
        Ops.Core.Projections.QueryAnswer answer;
        try
        {
            answer = await kernel.Queries.RunAsync(registration, JsonSerializer.SerializeToElement(arguments), Caller(context), ct);
        }
        catch (JsonException ex)
        {
            return Problems.BadRequest($"The query arguments do not fit {registration.Name}: {ex.Message}");
        }
        catch (Ops.Core.Errors.OpsException ex) when (ex.Kind == Ops.Core.Errors.ReasonKind.Forbidden)
        {
            return Problems.Forbidden(ex.Message);
        }

        return Results.Json(
            new
            {
                query = answer.Query,
                projections = answer.Projections.Select(p => new { name = p.Name, version = p.Version }),
                position = answer.Position,
                freshness_at = answer.FreshnessAt,
                access_scope = new { tenant_id = answer.TenantId, mode = answer.Mode },
                result = answer.Result,
            },
            OpsJson.Options);
    }

    private static IResult? Authorize(HttpContext context, OpsKernel kernel, string action, string target, SafetyClass safety)
    {
        var caller = Caller(context);
        var decision = CapabilityEvaluator.FindFor(kernel.Writer.CommittedCore, caller.Actor.Id, action, target, safety, kernel.Time.GetUtcNow());
        return decision.Allowed ? null : Problems.Forbidden(decision.Reason!);
    }

    private static CallerContext Caller(HttpContext context) => new(ApiKeyAuthentication.ActorOf(context.User), "api");
}
