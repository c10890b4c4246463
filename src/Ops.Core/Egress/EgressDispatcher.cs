using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Ops.Core.Secrets;

namespace Ops.Core.Egress;

/// <summary>
/// The dispatcher (constitution A3, A9): claims a batch in one short transaction, calls each destination after the
/// commit with no row lock held, and acknowledges each call in its own short transaction. At-least-once: a worker that
/// dies between claim and acknowledgement leaves the request dispatched under a lease; when the lease ends any worker
/// claims it again and calls the destination with the same idempotency key. The compensation hook runs after a failure,
/// under a lease of its own (issue 20 item 6): the failure receipt and the compensation claim commit together, and a
/// worker that dies before the hook's answer is recorded leaves a lease that ends; then any worker compensates it again.
/// </summary>
internal sealed class EgressDispatcher(EgressGate gate, SecretsProvider secrets, TimeProvider time, ILogger logger)
{
    private readonly SocketsHttpHandler _plain = new() { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false };

    /// <summary>This worker's id in leases and receipts.</summary>
    public string WorkerId { get; } = gate.Options.WorkerId ?? $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>
    /// One round: claim, then dispatch (or compensate, for a compensation claimed after its lease ended) concurrently, and
    /// acknowledge each. Returns how many requests it claimed.
    /// </summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var claimed = await gate.ClaimAsync(WorkerId, gate.Options.BatchSize, cancellationToken);
        await Task.WhenAll(claimed.Select(row => row.Status == EgressStatus.Compensating ? CompensateClaimedAsync(row, cancellationToken) : DispatchAsync(row, cancellationToken)));
        return claimed.Count;
    }

    private async Task DispatchAsync(Storage.EgressRow row, CancellationToken cancellationToken)
    {
        if (gate.BindingOf(row) is not { } binding)
        {
            CoreLog.EgressHandlerMissing(logger, row.RequestId, row.CommandType);
            return;
        }

        gate.Options.Destinations.TryGetValue(row.Destination, out var destination);
        using var http = await ClientForAsync(row, destination, cancellationToken);
        var invocation = new EgressInvocation(EgressLog.PayloadOf(row), row.RequestId, row.Destination, row.TenantId, row.IdempotencyKey, row.Attempts, http);
        var started = time.GetUtcNow();
        EgressResult result;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(TimeSpan.FromMilliseconds(destination?.TimeoutMs ?? 30_000));
            try
            {
                result = await binding.Dispatch(invocation, timeout.Token);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // A transport failure says nothing about whether the effect took place: dispatch again with the same key.
                CoreLog.EgressDispatchThrew(logger, row.RequestId, row.Destination, row.Attempts, ex.GetType().Name);
                result = EgressResult.Retry(0, ex.GetType().Name);
            }
        }

        var finished = time.GetUtcNow();
        if (await gate.AcknowledgeAsync(row, WorkerId, result, started, finished, cancellationToken) != EgressStatus.Compensating)
        {
            return;
        }

        var reason = "the request failed: " + (result.Detail ?? result.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await CompensateAsync(row with { Status = EgressStatus.Compensating, LeaseOwner = WorkerId }, binding, invocation, destination, reason, cancellationToken);
    }

    /// <summary>Compensates a request whose compensation this worker claimed after another's lease ended.</summary>
    private async Task CompensateClaimedAsync(Storage.EgressRow row, CancellationToken cancellationToken)
    {
        if (gate.BindingOf(row) is not { } binding)
        {
            // Nothing to call: the lease ends and the next claim counts one more attempt, up to the limit.
            CoreLog.EgressHandlerMissing(logger, row.RequestId, row.CommandType);
            return;
        }

        gate.Options.Destinations.TryGetValue(row.Destination, out var destination);
        using var http = await ClientForAsync(row, destination, cancellationToken);
        var invocation = new EgressInvocation(EgressLog.PayloadOf(row), row.RequestId, row.Destination, row.TenantId, row.IdempotencyKey, row.Attempts, http);
        await CompensateAsync(row, binding, invocation, destination, "the request failed; its compensation was claimed again after a lease ended", cancellationToken);
    }

    /// <summary>
    /// Calls the compensation hook under this worker's compensation lease and records its answer: compensated, or failed
    /// again when the hook gives up. A retry answer or a transport failure records nothing: the lease ends and any worker
    /// calls the hook again with the same idempotency key, up to the attempt limit.
    /// </summary>
    private async Task CompensateAsync(Storage.EgressRow row, EgressBinding binding, EgressInvocation invocation, EgressDestinationOptions? destination, string reason, CancellationToken cancellationToken)
    {
        EgressResult compensation;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(TimeSpan.FromMilliseconds(destination?.TimeoutMs ?? 30_000));
            try
            {
                compensation = await binding.Compensate(invocation, timeout.Token);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                CoreLog.EgressCompensationThrew(logger, row.RequestId, row.Destination, ex.GetType().Name);
                return;
            }
        }

        switch (compensation.Outcome)
        {
            case EgressOutcome.Executed:
                await gate.CompensatedAsync(row, EgressStatus.Compensating, WorkerId, "kernel", reason, EgressLog.Dispatcher, compensation, cancellationToken);
                break;
            case EgressOutcome.Failed:
                await gate.CompensationFailedAsync(row, WorkerId, compensation, cancellationToken);
                break;
            default:
                CoreLog.EgressCompensationDeferred(logger, row.RequestId, row.Destination, compensation.StatusCode);
                break;
        }
    }

    /// <summary>Calls the compensation hook for an executed or failed request an operator undoes, and records it.</summary>
    public async Task<EgressResult> UndoAsync(Storage.EgressRow row, string reason, Envelopes.ActorRef actor, CancellationToken cancellationToken)
    {
        var binding = gate.BindingOf(row) ?? throw new Errors.OpsException(Errors.ReasonCodes.PackNotInstalled, $"No installed pack handles {row.CommandType}, so nothing can compensate egress request {row.RequestId[..12]}. Nothing was changed.");
        gate.Options.Destinations.TryGetValue(row.Destination, out var destination);
        using var http = await ClientForAsync(row, destination, cancellationToken);
        var result = await binding.Compensate(new EgressInvocation(EgressLog.PayloadOf(row), row.RequestId, row.Destination, row.TenantId, row.IdempotencyKey, row.Attempts, http), cancellationToken);
        if (result.Succeeded)
        {
            await gate.CompensatedAsync(row, row.Status, null, actor.Id, reason, actor, result, cancellationToken);
        }

        return result;
    }

    /// <summary>A client for the destination; with a secret, a fresh audience-bound handle whose issuance is recorded first.</summary>
    private async Task<HttpClient?> ClientForAsync(Storage.EgressRow row, EgressDestinationOptions? destination, CancellationToken cancellationToken)
    {
        if (destination?.BaseUrl is not { } baseUrl)
        {
            return null;
        }

        if (destination.SecretId is not { } secretId)
        {
            return new HttpClient(_plain, disposeHandler: false) { BaseAddress = baseUrl };
        }

        var handle = secrets.Issue(secretId, baseUrl, destination.Scheme);
        await gate.RecordCredentialAsync(row, new EgressCredentialIssued(row.RequestId, row.Attempts, secretId, baseUrl.GetLeftPart(UriPartial.Authority), handle.IssuedAt, handle.ExpiresAt), cancellationToken);
        return secrets.CreateClient(handle);
    }
}

/// <summary>Runs the dispatcher in the worker (registered by AddOps; off with <c>Ops:Egress:Dispatch=false</c>).</summary>
internal sealed class EgressDispatchService(IServiceProvider services, TimeProvider time, ILogger<EgressDispatchService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var kernel = (Hosting.OpsKernel)services.GetService(typeof(Hosting.OpsKernel))!;
        if (!kernel.Egress.Options.Dispatch)
        {
            return;
        }

        var interval = TimeSpan.FromMilliseconds(kernel.Egress.Options.PollIntervalMs);
        while (!stoppingToken.IsCancellationRequested)
        {
            var dispatched = 0;
            try
            {
                dispatched = await kernel.EgressDispatcher.RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                CoreLog.EgressRoundFailed(logger, ex);
            }

            if (dispatched == 0)
            {
                await Task.Delay(interval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
