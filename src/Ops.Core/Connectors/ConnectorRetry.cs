using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Ops.Core.Connectors;

/// <summary>
/// The kernel's rate-limit/retry model for connector reads (constitution A8): a GET is sent again after the wait
/// the source asks for, through Polly on the kernel's <see cref="TimeProvider"/> (so tests use a fake clock and
/// nothing really sleeps), bounded by <see cref="ConnectorRetryOptions.MaxRetries"/> retries and
/// <see cref="ConnectorRetryOptions.MaxWait"/> per wait, each wait logged. It lives in the kernel so that packs need
/// no resilience library of their own (Polly uses reflection, which the install checks refuse in a pack folder).
/// Only GETs: a mutation is never retried here.
/// </summary>
public static class ConnectorRetry
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
    /// <exception cref="InvalidOperationException">The request is not a GET; nothing was sent.</exception>
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
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Constant,
                UseJitter = false,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Result is { } response && requestedWait(response, time.GetUtcNow()) is { } wait && wait <= options.MaxWait),
                DelayGenerator = args => ValueTask.FromResult(requestedWait(args.Outcome.Result!, time.GetUtcNow())),
                OnRetry = args =>
                {
                    retries = args.AttemptNumber + 1;
                    var response = args.Outcome.Result!;
                    ConnectorLog.RateLimited(logger, (int)response.StatusCode, response.RequestMessage?.RequestUri?.GetLeftPart(UriPartial.Path) ?? "?", args.RetryDelay.TotalSeconds, retries, options.MaxRetries);
                    response.Dispose();
                    return ValueTask.CompletedTask;
                },
            });
        }

        var last = await builder.Build().ExecuteAsync(
            async token =>
            {
                using var request = newRequest();
                if (request.Method != HttpMethod.Get)
                {
                    throw new InvalidOperationException($"Connectors read only: a {request.Method} was refused and not sent (constitution A8).");
                }

                return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
            },
            cancellationToken);
        return new ConnectorRetryResult(last, retries);
    }
}

/// <summary>Bounds of <see cref="ConnectorRetry"/>.</summary>
/// <param name="MaxRetries">Retries after the first attempt, 0 to 10 (0: never retried).</param>
/// <param name="MaxWait">Longest single wait; a source asking for more is not waited for.</param>
public sealed record ConnectorRetryOptions(int MaxRetries, TimeSpan MaxWait);

/// <summary>The outcome of <see cref="ConnectorRetry.GetAsync"/>.</summary>
/// <param name="Response">The last response; the caller disposes it.</param>
/// <param name="Retries">How many times the GET was sent again.</param>
public sealed record ConnectorRetryResult(HttpResponseMessage Response, int Retries);
