using System.Text.Json;
using Ops.Core.Capabilities;
using Ops.Core.Commands;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Core.Packs.Install;
using Ops.Host.Packs;
using Ops.Verification;

namespace Ops.Host.Http;

/// <summary>
/// <c>POST /v1/packs/proposals</c> <c>{"folder": "/abs/path", "upgrade": false}</c>: verifies a pack folder on the
/// worker's machine and, when it passes, proposes core.InstallPack; the client commits the returned proposal
/// with the ordinary <c>POST /v1/commits</c>. Removal is an ordinary proposal of core.RemovePack
/// (<c>POST /v1/proposals</c>). Installed packs load at the worker's next start.
/// </summary>
internal static class PackRoutes
{
    public const string InstallRoute = "POST /v1/packs/proposals";

    public static void Map(RouteGroupBuilder v1) => v1.MapPost("/packs/proposals", ProposeInstall)
        .WithSummary("Verify a pack folder on the worker's machine and propose core.InstallPack; commit the proposal with POST /v1/commits.")
        .Accepts<InstallRequest>("application/json").Produces<Ops.Core.Consent.Proposal>().ProducesProblem(400).ProducesProblem(409).ProducesProblem(415).ProducesProblem(422);

    private static async Task<IResult> ProposeInstall(HttpRequest request, OpsRuntime runtime, ICommandGateway gateway, PackLoader loader, CancellationToken ct)
    {
        InstallRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<InstallRequest>(request.Body, OpsJson.Options, ct);
        }
        catch (JsonException)
        {
            body = null;
        }

        if (body is null || string.IsNullOrWhiteSpace(body.Folder) || !Path.IsPathFullyQualified(body.Folder))
        {
            return Problems.BadRequest("Send {\"folder\": \"<absolute path of a pack folder on the worker's machine>\", \"upgrade\": false}.");
        }

        var caller = new CallerContext(ApiKeyAuthentication.ActorOf(request.HttpContext.User), "api");

        // Issue 20 item 5: the install right is checked before the worker reads anything in the folder, so a caller
        // without it is refused the same way whether the folder exists or not, and cannot make the worker read paths.
        // Once the manifest names the pack, the right on that pack is checked too.
        try
        {
            await runtime.AuthorizeAnyTargetAsync(caller with { Route = InstallRoute }, PackInstallNames.InstallPack, PackInstallNames.TargetOf(string.Empty), SafetyClass.WriteInternal, ct);
            var target = PackInstallNames.TargetOf(PeekPackId(body.Folder) ?? "unknown");
            await runtime.AuthorizeAsync(caller with { Route = InstallRoute }, PackInstallNames.InstallPack, target, SafetyClass.WriteInternal, ct);
        }
        catch (OpsException ex)
        {
            return Problems.From(ex);
        }

        var (command, verification) = await PackInstaller.VerifyAsync(runtime, loader.Verifier, caller, body.Folder, body.Upgrade, InstallRoute, ct);
        if (command is null)
        {
            return Results.Problem(
                title: $"Pack refused: {verification.ReasonCode}",
                detail: verification.Describe() + " Nothing was installed.",
                statusCode: ReasonCodes.KindOf(verification.ReasonCode) == ReasonKind.Forbidden ? StatusCodes.Status403Forbidden : StatusCodes.Status422UnprocessableEntity,
                type: $"https://aligntrue.dev/problems/{verification.ReasonCode}",
                extensions: new Dictionary<string, object?>
                {
                    ["reason_code"] = verification.ReasonCode,
                    ["findings"] = verification.Findings.Select(f => new { rule = f.Rule, reason_code = f.Code, type = f.TypeName, dependency = f.Dependency, message = f.Message }).ToList(),
                });
        }

        var result = await gateway.ProposeAsync(PackInstaller.Envelope(command), caller, ct);
        if (result.Proposal is { } proposal)
        {
            return Results.Json(proposal, OpsJson.Options);
        }

        if (result.Rejection!.IsAccepted)
        {
            // The same install command was already committed (its command id derives from its content).
            return Results.Json(result.Rejection, OpsJson.Options, statusCode: StatusCodes.Status409Conflict);
        }

        await runtime.RecordRefusalAsync(caller, InstallRoute, result.Rejection!.ReasonCode ?? ReasonCodes.PackRefused, $"pack '{command.PackId}' ({verification.Directory}): {result.Rejection.Reason}", ct);
        return Problems.Rejected(result.Rejection);
    }

    private static string? PeekPackId(string folder)
    {
        try
        {
            return PackManifest.Read(Path.Combine(folder, PackManifest.FileName)).PackId;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The body of <c>POST /v1/packs/proposals</c>.</summary>
    /// <param name="Folder">Absolute path of the pack folder on the worker's machine.</param>
    /// <param name="Upgrade">Replace the installed pack of the same id.</param>
    private sealed record InstallRequest(string Folder, bool Upgrade = false);
}
