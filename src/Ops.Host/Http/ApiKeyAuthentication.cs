using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Hosting;

namespace Ops.Host.Http;

/// <summary>
/// Bearer API keys (<c>Authorization: Bearer ops_&lt;key_id&gt;_&lt;secret&gt;</c>), checked against the log's state as of
/// its head, so a key revoked or an actor disabled from any process is refused on the next request. A malformed
/// token is refused without touching the database; failures (never successes) are rate-limited per client address (System.Threading.RateLimiting,
/// the limiter ASP.NET Core's middleware is built on), and use of a revoked key or a disabled actor's key is recorded on the
/// safety stream.
/// </summary>
internal sealed class ApiKeyAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, OpsRuntime runtime, AuthenticationFailureLimiter limiter)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string KindClaim = "ops:actor_kind";
    private const string FailureItem = "ops:auth_failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        var client = Context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return Failed(client, ReasonCodes.Unauthenticated, "Use 'Authorization: Bearer <api key>'.");
        }

        var token = header["Bearer ".Length..].Trim();
        ActorRef actor;
        try
        {
            actor = await runtime.AuthenticateAsync(token, $"{Request.Method} {Request.Path}", client, Context.RequestAborted);
        }
        catch (OpsException ex) when (ex.Code == ReasonCodes.Unauthenticated)
        {
            return Failed(client, ex.Code, ex.Message);
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, actor.Id), new Claim(KindClaim, actor.Kind.ToString())],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var (code, detail) = Context.Items[FailureItem] as (string, string)? ?? (ReasonCodes.Unauthenticated, "This route needs 'Authorization: Bearer <api key>'.");
        Response.Headers.WWWAuthenticate = "Bearer realm=\"ops\"";
        if (code == ReasonCodes.RateLimited)
        {
            Response.Headers.RetryAfter = "60";
        }

        await Problems.Of(code, detail + (detail.EndsWith("Nothing was done.", StringComparison.Ordinal) ? string.Empty : " Nothing was changed.")).ExecuteAsync(Context);
    }

    /// <summary>
    /// Issue 20 item 5: only failures spend the address's allowance, and only failures are refused once it is spent, so one
    /// noisy agent behind a gateway never locks out the valid keys of every other agent behind it. A guess is still
    /// answered 429 past the limit whatever it was, so the limit tells nothing about which guesses were close.
    /// </summary>
    private AuthenticateResult Failed(string client, string code, string detail)
    {
        var counted = limiter.TryCountFailure(client);
        // The key id only (ops_<12 hex>_...), never the secret: enough to find whose key failed, nothing to replay.
        var token = Request.Headers.Authorization.ToString();
        var keyId = token.StartsWith("Bearer ops_", StringComparison.Ordinal) && token.Length >= "Bearer ops_".Length + 12
            ? token.Substring("Bearer ops_".Length, 12)
            : "(none)";
        HostLog.AuthenticationFailed(Logger, client, keyId.All(char.IsAsciiHexDigitLower) ? keyId : "(malformed)", counted ? code : ReasonCodes.RateLimited);
        return counted
            ? Fail(code, detail)
            : Fail(ReasonCodes.RateLimited, "Too many failed authentication attempts from this address; wait a minute and try again. Nothing was done.");
    }

    private AuthenticateResult Fail(string code, string detail)
    {
        Context.Items[FailureItem] = (code, detail);
        return AuthenticateResult.Fail(detail);
    }

    public static ActorRef ActorOf(ClaimsPrincipal user) =>
        new(user.FindFirstValue(ClaimTypes.NameIdentifier)!, Enum.Parse<ActorKind>(user.FindFirstValue(KindClaim)!));
}

/// <summary>Counts failed authentications per client address in fixed one-minute windows; past the limit, further failures from the address are answered 429 (a valid key still succeeds).</summary>
internal sealed class AuthenticationFailureLimiter : IDisposable
{
    /// <summary>Failures allowed per client address per minute.</summary>
    public const int FailuresPerMinute = 20;

    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions { PermitLimit = FailuresPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));

    /// <summary>Counts one failure; false when the address has already failed <see cref="FailuresPerMinute"/> times in this window.</summary>
    public bool TryCountFailure(string address)
    {
        using var lease = _limiter.AttemptAcquire(address);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
