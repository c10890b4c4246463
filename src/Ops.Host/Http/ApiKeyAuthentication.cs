using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Ops.Core.Envelopes;
using Ops.Core.Hosting;

namespace Ops.Host.Http;

/// <summary>Bearer API keys (<c>Authorization: Bearer ops_&lt;key_id&gt;_&lt;secret&gt;</c>), checked against the hashes in the log.</summary>
internal sealed class ApiKeyAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, OpsKernel kernel)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string KindClaim = "ops:actor_kind";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return AuthenticateResult.Fail("Use 'Authorization: Bearer <api key>'.");
        }

        var token = header["Bearer ".Length..].Trim();
        var actor = ApiKeys.Authenticate(kernel.Writer.CommittedCore, token);
        if (actor is null)
        {
            // The key may have been issued by the admin CLI in another process since our last commit.
            await kernel.Writer.RefreshAsync(Context.RequestAborted);
            actor = ApiKeys.Authenticate(kernel.Writer.CommittedCore, token);
        }

        if (actor is null)
        {
            return AuthenticateResult.Fail("The API key is not valid.");
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, actor.ActorId), new Claim(KindClaim, actor.Kind.ToString())],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    public static ActorRef ActorOf(ClaimsPrincipal user) =>
        new(user.FindFirstValue(ClaimTypes.NameIdentifier)!, Enum.Parse<ActorKind>(user.FindFirstValue(KindClaim)!));
}
