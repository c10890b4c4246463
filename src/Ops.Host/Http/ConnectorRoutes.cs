using System.Text.Json;
using Ops.Core.Commands;
using Ops.Core.Connectors;
using Ops.Core.Errors;
using Ops.Core.Identity;

namespace Ops.Host.Http;

/// <summary>
/// <c>GET /v1/connectors/{pack}/{name}</c> (the stored cursor) and <c>POST /v1/connectors/{pack}/{name}/reset</c>
/// <c>{"reason": "..."}</c>: resets the cursor and watermark, recorded as <c>core.ConnectorCursorReset</c> (who, what
/// it held, why). Uses only Ops.Core's public <see cref="ConnectorControl"/> (issue 8).
/// </summary>
internal static class ConnectorRoutes
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/connectors/{pack}/{name}", ReadAsync)
            .WithSummary("The caller's tenant's stored cursor, watermark (for github.issues the `since` of the next sync) and page count of a connector; each tenant runs its own (needs core.SyncConnector on connector:<pack>.<name>).")
            .Produces<ConnectorCursorState>().ProducesProblem(403).ProducesProblem(404);
        v1.MapPost("/connectors/{pack}/{name}/reset", ResetAsync)
            .WithSummary("Reset the caller's tenant's cursor and watermark of a connector (needs core.ResetConnectorCursor on connector:<pack>.<name>); recorded as core.ConnectorCursorReset. That tenant's next sync is a full backfill and tombstone sweep; no other tenant's instance moves.")
            .Accepts<ConnectorResetRequest>("application/json").Produces<ConnectorResetResult>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(415);
    }

    private static async Task<IResult> ReadAsync(HttpContext context, string pack, string name, CancellationToken ct)
    {
        var caller = new CallerContext(ApiKeyAuthentication.ActorOf(context.User), "api") { Route = $"{context.Request.Method} {context.Request.Path}" };
        try
        {
            return Results.Json(await context.RequestServices.GetRequiredService<ConnectorControl>().ReadAsync($"{pack}.{name}", caller, ct), OpsJson.Options);
        }
        catch (OpsException ex)
        {
            return Problems.From(ex);
        }
    }

    private static async Task<IResult> ResetAsync(HttpContext context, string pack, string name, CancellationToken ct)
    {
        if (!context.Request.HasJsonContentType())
        {
            return Problems.Of(ReasonCodes.UnsupportedMediaType, $"The body must be JSON (Content-Type: application/json), not '{context.Request.ContentType}'; send {{\"reason\": \"...\"}}. Nothing was changed.");
        }

        ConnectorResetRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<ConnectorResetRequest>(context.Request.Body, OpsJson.Options, ct);
        }
        catch (JsonException)
        {
            body = null;
        }

        if (body is null)
        {
            return Problems.BadRequest("The body is not a JSON object {\"reason\": \"...\"}.");
        }

        var caller = new CallerContext(ApiKeyAuthentication.ActorOf(context.User), "api") { Route = $"{context.Request.Method} {context.Request.Path}" };
        try
        {
            return Results.Json(await context.RequestServices.GetRequiredService<ConnectorControl>().ResetAsync($"{pack}.{name}", caller, body.Reason ?? string.Empty, ct), OpsJson.Options);
        }
        catch (OpsException ex)
        {
            return Problems.From(ex);
        }
    }
}

/// <summary>The body of a reset.</summary>
/// <param name="Reason">Why, 1 to 500 characters; recorded in the log.</param>
internal sealed record ConnectorResetRequest(string? Reason);
