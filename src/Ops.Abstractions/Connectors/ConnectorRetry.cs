using Microsoft.Extensions.Logging;

namespace Ops.Core.Connectors;

/// <summary>
/// The kernel's rate-limit/retry model for connector reads (constitution A8): a GET is sent again after the wait
/// the source asks for, on the kernel's <see cref="TimeProvider"/> (so tests use a fake clock and nothing really
/// sleeps), bounded by <see cref="ConnectorRetryOptions.MaxRetries"/> retries and <see cref="ConnectorRetryOptions.MaxWait"/>
/// per wait, each wait logged. It lives in the pack SDK so that packs need no resilience library of their own (one that
/// uses reflection is refused by the install checks); it is a plain loop over the base class library, so the SDK pulls
/// no Polly (docs/adr/0009-pack-sdk-assembly.md). Only GETs: a mutation is never retried here.
/// </summary>
public static partial class ConnectorRetry
{
    /// <summary>Sends the GET <paramref name="newRequest"/> builds (a fresh message per attempt) and waits out rate limits within bounds.</summary>
    /// <param name="client">The credentialed client from <see cref="Packs.ConnectorPullContext.CreateHttpClientAsync"/>.</param>
    /// <param name="newRequest">Builds the request; it must be a GET.</param>
    /// <param name="requestedWait">The source's rule: the wait a response asks for (zero or more), or <see langword="null"/> when it is not a rate-limit answer.</param>
    /// <param name="options">The bounds.</param>
    /// <param name="time">The kernel's clock (<see cref="Packs.ConnectorPullContext.Time"/>).</param>
    /// <param name="logger">Where each wait is logged (warning, with status, path, wait in seconds, retry number).</param>
    /// <param name="cancellationToken">Cancels the request and any wait.</param>
    /// <returns>The last response (the caller disposes it) and the retries made. A response whose wait exceeds the bound, or that is still limited after the last retry, is returned as it is.</returns>
    /// <exception cref="Errors.OpsException"><see cref="Errors.ReasonCodes.PackFault"/>: the request is not a GET; nothing was sent.</exception>
    /// <exception cref="HttpRequestException">The transport failed (not retried).</exception>
    public static async Task<ConnectorRetryResult> GetAsync(
        HttpClient client,
        Func<HttpRequestMessage> newRequest,
        Func<HttpResponseMessage, DateTimeOffset, TimeSpan?> requestedWait,
        ConnectorRetryOptions options,
        TimeProvider time,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(newRequest);
        ArgumentNullException.ThrowIfNull(requestedWait);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var retries = 0;
        while (true)
        {
            HttpResponseMessage response;
            using (var request = newRequest())
            {
                if (request.Method != HttpMethod.Get)
                {
                    throw new Errors.OpsException(Errors.ReasonCodes.PackFault, $"Connectors read only: a {request.Method} was refused and not sent (constitution A8).");
                }

                response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }

            if (retries >= options.MaxRetries || requestedWait(response, time.GetUtcNow()) is not { } wait || wait > options.MaxWait)
            {
                return new ConnectorRetryResult(response, retries);
            }

            retries++;
            RateLimited(logger, (int)response.StatusCode, response.RequestMessage?.RequestUri?.GetLeftPart(UriPartial.Path) ?? "?", wait.TotalSeconds, retries, options.MaxRetries);
            response.Dispose();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken);
            }
        }
    }

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "Connector rate limit: {Status} to GET {Url}; waiting {WaitSeconds} s before retry {Retry} of {MaxRetries}")]
    private static partial void RateLimited(ILogger logger, int status, string url, double waitSeconds, int retry, int maxRetries);
}

/// <summary>Bounds of <see cref="ConnectorRetry"/>.</summary>
/// <param name="MaxRetries">Retries after the first attempt, 0 to 10 (0: never retried).</param>
/// <param name="MaxWait">Longest single wait; a source asking for more is not waited for.</param>
public sealed record ConnectorRetryOptions(int MaxRetries, TimeSpan MaxWait);

/// <summary>The outcome of <see cref="ConnectorRetry.GetAsync"/>.</summary>
/// <param name="Response">The last response; the caller disposes it.</param>
/// <param name="Retries">How many times the GET was sent again.</param>
public sealed record ConnectorRetryResult(HttpResponseMessage Response, int Retries);
