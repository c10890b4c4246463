using System.Text.Json;
using Ops.Core.Consent;
using Ops.Core.Egress;
using Ops.Core.Errors;
using Ops.Core.Identity;

namespace Ops.Host.Http;

/// <summary>
/// The operator's egress routes (constitution A5; issue 10 item 2): list and read requests, approve, reject, hold,
/// release and undo them, and flip kill switches. Only <see cref="EgressOperations"/>, the kernel's public face, is
/// used; refusals are problem+json through <see cref="Problems"/> and change nothing.
/// </summary>
internal static class EgressRoutes
{
    private const int DefaultLimit = 100;

    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/egress", List).WithSummary("Egress requests, oldest first; ?status=pending|approved|dispatched|executed|failed|compensating|held|rejected|compensated&limit=1..10000.")
            .Produces<EgressList>().ProducesProblem(400);
        v1.MapGet("/egress/{id}", Get).WithSummary("One egress request with its canonical request and hash.").Produces<EgressRequestView>().ProducesProblem(404);
        v1.MapPost("/egress/{id}/approve", Approve).WithSummary("Approve a pending request: a signature over its request_hash (preview_hash) and request_id (interpretation_id), or an active policy.")
            .Accepts<ConsentGrant>("application/json").Produces<EgressRequestView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(415);
        v1.MapPost("/egress/{id}/reject", Reject).WithSummary("Reject a pending request; it never goes out.")
            .Accepts<ReasonBody>("application/json").Produces<EgressRequestView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
        v1.MapPost("/egress/{id}/hold", Hold).WithSummary("Hold a pending or approved request until released.")
            .Accepts<ReasonBody>("application/json").Produces<EgressRequestView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
        v1.MapPost("/egress/{id}/release", Release).WithSummary("Release a held request to the status it was held from (refused while a kill switch covers it).")
            .Accepts<ReasonBody>("application/json").Produces<EgressRequestView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
        v1.MapPost("/egress/{id}/undo", Undo).WithSummary("Undo an executed or failed request through the pack's compensation hook.")
            .Accepts<ReasonBody>("application/json").Produces<EgressRequestView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
        v1.MapGet("/egress-switches", Switches).WithSummary("Engaged kill switches.").Produces<SwitchList>();
        v1.MapPost("/egress-switches", Engage).WithSummary("Engage a kill switch (global, pack:<id>, destination:<d>): covered requests are held, never dropped.")
            .Accepts<SwitchBody>("application/json").Produces<SwitchChange>().ProducesProblem(400);
        v1.MapDelete("/egress-switches/{scope}", Disengage).WithSummary("Release a kill switch: requests it held go back.").Produces<SwitchChange>().ProducesProblem(400).ProducesProblem(404);
    }

    private static async Task<IResult> List(HttpContext context, EgressOperations egress, string? status, int? limit, CancellationToken ct)
    {
        if (limit is < 1 or > 10_000)
        {
            return Problems.BadRequest("limit must be 1 to 10,000.");
        }

        return Json(new EgressList(await egress.ListAsync(status, limit ?? DefaultLimit, ApiKeyAuthentication.ActorOf(context.User), ct)));
    }

    private static async Task<IResult> Get(HttpContext context, EgressOperations egress, string id, CancellationToken ct) =>
        await egress.GetAsync(id, ApiKeyAuthentication.ActorOf(context.User), ct) is { } view ? Json(view) : Problems.NotFound($"There is no egress request '{id}' that you may see.");

    private static Task<IResult> Approve(HttpContext context, EgressOperations egress, string id, CancellationToken ct) =>
        RunAsync(context, async actor => await ReadAsync<ConsentGrant>(context, ct) is { } consent
            ? Json(await egress.ApproveAsync(id, consent, actor, ct))
            : Problems.BadRequest("Send a consent: {\"kind\":\"signature\",\"signer\",\"key_id\",\"signed_at\",\"expires_at\",\"nonce\",\"signature\"} or {\"kind\":\"policy\",\"policy_id\",\"policy_version\"}."));

    private static Task<IResult> Reject(HttpContext context, EgressOperations egress, string id, CancellationToken ct) =>
        RunAsync(context, async actor => await ReadAsync<ReasonBody>(context, ct) is { Reason.Length: > 0 } body
            ? Json(await egress.RejectAsync(id, body.Reason, actor, ct))
            : Problems.BadRequest("Send {\"reason\": \"...\"}."));

    private static Task<IResult> Hold(HttpContext context, EgressOperations egress, string id, CancellationToken ct) =>
        RunAsync(context, async actor => await ReadAsync<ReasonBody>(context, ct) is { Reason.Length: > 0 } body
            ? Json(await egress.HoldAsync(id, body.Reason, actor, ct))
            : Problems.BadRequest("Send {\"reason\": \"...\"}."));

    private static Task<IResult> Release(HttpContext context, EgressOperations egress, string id, CancellationToken ct) =>
        RunAsync(context, async actor => await ReadAsync<ReasonBody>(context, ct) is { Reason.Length: > 0 } body
            ? Json(await egress.ReleaseAsync(id, body.Reason, actor, ct))
            : Problems.BadRequest("Send {\"reason\": \"...\"}."));

    private static Task<IResult> Undo(HttpContext context, EgressOperations egress, string id, CancellationToken ct) =>
        RunAsync(context, async actor => await ReadAsync<ReasonBody>(context, ct) is { Reason.Length: > 0 } body
            ? Json(await egress.UndoAsync(id, body.Reason, actor, ct))
            : Problems.BadRequest("Send {\"reason\": \"...\"}."));

    private static async Task<IResult> Switches(HttpContext context, EgressOperations egress, CancellationToken ct) =>
        Json(new SwitchList(await egress.SwitchesAsync(ApiKeyAuthentication.ActorOf(context.User), ct)));

    private static Task<IResult> Engage(HttpContext context, EgressOperations egress, CancellationToken ct) =>
        RunAsync(context, async actor => await ReadAsync<SwitchBody>(context, ct) is { Scope.Length: > 0, Reason.Length: > 0 } body
            ? Json(new SwitchChange(body.Scope, true, await egress.EngageSwitchAsync(body.Scope, body.Reason, actor, ct)))
            : Problems.BadRequest("Send {\"scope\": \"global|pack:<id>|destination:<d>\", \"reason\": \"...\"}."));

    private static Task<IResult> Disengage(HttpContext context, EgressOperations egress, string scope, CancellationToken ct) =>
        RunAsync(context, async actor => Json(new SwitchChange(scope, false, await egress.ReleaseSwitchAsync(scope, actor, ct))));

    /// <summary>Runs an operation as the authenticated actor; a kernel refusal becomes problem+json, by its code.</summary>
    private static async Task<IResult> RunAsync(HttpContext context, Func<Ops.Core.Envelopes.ActorRef, Task<IResult>> operation)
    {
        try
        {
            return await operation(ApiKeyAuthentication.ActorOf(context.User));
        }
        catch (OpsException ex)
        {
            return Problems.From(ex);
        }
    }

    private static async Task<T?> ReadAsync<T>(HttpContext context, CancellationToken ct)
        where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(context.Request.Body, OpsJson.Options, ct);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IResult Json(object value) => Results.Json(value, OpsJson.Options);

    /// <summary>A page of requests.</summary>
    /// <param name="Requests">Oldest first.</param>
    internal sealed record EgressList(IReadOnlyList<EgressRequestView> Requests);

    /// <summary>Engaged switches.</summary>
    /// <param name="Switches">By scope.</param>
    internal sealed record SwitchList(IReadOnlyList<EgressSwitchView> Switches);

    /// <summary>Body of reject and hold.</summary>
    /// <param name="Reason">Why, recorded on the log.</param>
    internal sealed record ReasonBody(string Reason);

    /// <summary>Body of engaging a switch.</summary>
    /// <param name="Scope">global, pack:&lt;id&gt; or destination:&lt;d&gt;.</param>
    /// <param name="Reason">Why.</param>
    internal sealed record SwitchBody(string Scope, string Reason);

    /// <summary>What a switch change did.</summary>
    /// <param name="Scope">The switch.</param>
    /// <param name="Engaged">Its state now.</param>
    /// <param name="Requests">How many requests it held or released.</param>
    internal sealed record SwitchChange(string Scope, bool Engaged, int Requests);
}
