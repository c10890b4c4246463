using System.Net.Http.Headers;
using Microsoft.Extensions.Configuration;

namespace Ops.Core.Secrets;

/// <summary>
/// Secrets custody (constitution §12): raw values come from configuration <c>Ops:Secrets:&lt;secret_id&gt;</c>
/// (environment variable <c>Ops__Secrets__&lt;secret_id&gt;</c>) and never leave this class except as a
/// header on a request to the handle's audience. Packs get handles, not values.
/// </summary>
internal sealed class SecretsProvider(IConfiguration opsSection, TimeProvider time)
{
    public static readonly TimeSpan HandleLifetime = TimeSpan.FromMinutes(15);

    private readonly SocketsHttpHandler _transport = new() { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false };

    /// <summary>The text with every configured secret value replaced by <c>***</c>: for log lines that may quote an upstream.</summary>
    public string Redact(string text)
    {
        foreach (var secret in opsSection.GetSection("Secrets").GetChildren())
        {
            if (secret.Value is { Length: >= 4 } value)
            {
                text = text.Replace(value, "***", StringComparison.Ordinal);
            }
        }

        return text;
    }

    public bool Has(string secretId) => !string.IsNullOrEmpty(opsSection.GetSection("Secrets")[secretId]);

    public SecretHandle Issue(string secretId, Uri audience, string scheme)
    {
        var value = opsSection.GetSection("Secrets")[secretId];
        if (string.IsNullOrEmpty(value))
        {
            throw new Errors.OpsException(Errors.ReasonCodes.SecretUnavailable, $"Secret '{secretId}' is not configured: set Ops:Secrets:{secretId} (environment variable Ops__Secrets__{secretId}). Nothing was fetched.");
        }

        var issuedAt = time.GetUtcNow();
        return new SecretHandle(secretId, audience, scheme, value, issuedAt, issuedAt + HandleLifetime, time);
    }

    public HttpClient CreateClient(SecretHandle handle) =>
        new(new CredentialHandler(handle) { InnerHandler = _transport }, disposeHandler: false) { BaseAddress = handle.Audience };

    /// <summary>Adds the credential only to requests for the handle's origin, and only while the handle is valid.</summary>
    private sealed class CredentialHandler(SecretHandle handle) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri is { } uri && handle.IsAudience(uri))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue(handle.Scheme, handle.Reveal());
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>A scoped, expiring, audience-bound use of a secret. <see cref="ToString"/> never shows the value.</summary>
internal sealed class SecretHandle(string secretId, Uri audience, string scheme, string value, DateTimeOffset issuedAt, DateTimeOffset expiresAt, TimeProvider time)
{
    public string SecretId { get; } = secretId;

    public Uri Audience { get; } = audience;

    public string Scheme { get; } = scheme;

    public DateTimeOffset IssuedAt { get; } = issuedAt;

    public DateTimeOffset ExpiresAt { get; } = expiresAt;

    public bool IsAudience(Uri uri) =>
        string.Equals(uri.Scheme, Audience.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(uri.Host, Audience.Host, StringComparison.OrdinalIgnoreCase)
        && uri.Port == Audience.Port;

    public string Reveal() =>
        time.GetUtcNow() < ExpiresAt ? value : throw new Errors.OpsException(Errors.ReasonCodes.SecretUnavailable, $"The handle for secret '{SecretId}' expired at {ExpiresAt:O}; the request was not sent. Request a new handle.");

    public override string ToString() => $"SecretHandle({SecretId} for {Audience.GetLeftPart(UriPartial.Authority)}, expires {ExpiresAt:O})";
}
