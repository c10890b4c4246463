namespace Ops.Core.Egress;

/// <summary>
/// A pack's side of one external side effect (constitution A5, §2 Egress): the kernel decides when a request goes
/// out (approval, quota, kill switch) and records every move; the handler only performs the call it is given, and
/// undoes it on request. It is called at least once per approved request, possibly again after a crash (A3): send
/// <see cref="EgressCall{TCommand}.IdempotencyKey"/> to the destination so it can drop repeats.
/// </summary>
/// <typeparam name="TCommand">The WRITE_EXTERNAL_SIDE_EFFECT command's payload record.</typeparam>
public interface IEgressHandler<TCommand>
    where TCommand : class
{
    /// <summary>Performs the side effect. Must not keep state between calls; may throw for a transport failure (retried).</summary>
    /// <param name="call">The approved request, its idempotency key and its credential.</param>
    /// <param name="cancellationToken">Cancels the call (worker stopping); the request is then dispatched again later.</param>
    /// <returns>What the destination answered.</returns>
    ValueTask<EgressResult> DispatchAsync(EgressCall<TCommand> call, CancellationToken cancellationToken);

    /// <summary>The compensation hook: offsets a request that failed or that an operator undoes. Idempotent like dispatch.</summary>
    /// <param name="call">The request being compensated.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What the destination answered; <see cref="EgressResult.Succeeded"/> when nothing is left to offset.</returns>
    ValueTask<EgressResult> CompensateAsync(EgressCall<TCommand> call, CancellationToken cancellationToken);
}

/// <summary>One dispatch of an egress request, as the pack's handler receives it.</summary>
/// <typeparam name="TCommand">The command's payload record.</typeparam>
/// <param name="Command">The committed command's payload.</param>
/// <param name="RequestId">The request (64 hex).</param>
/// <param name="Destination">Where it goes, as the pack registered it.</param>
/// <param name="TenantId">The requesting actor's tenant.</param>
/// <param name="IdempotencyKey">64 hex, the same on every attempt of this request (dedupe scope ('egress', destination, tenant_id), constitution A3): send it as the <c>Idempotency-Key</c> header.</param>
/// <param name="Attempt">1 for the first dispatch, more after a retry or a crash.</param>
/// <param name="Http">
/// A client for the destination (<c>Ops:Egress:Destinations:&lt;destination&gt;:BaseUrl</c>), or null when none is
/// configured. When the destination names a secret, the kernel's secrets provider issued a scoped, expiring,
/// audience-bound handle for this attempt (a <c>core.EgressCredentialIssued</c> receipt is on the log) and the client
/// adds the credential only to requests for that origin; the pack never sees the value (constitution §12).
/// </param>
public sealed record EgressCall<TCommand>(TCommand Command, string RequestId, string Destination, string TenantId, string IdempotencyKey, int Attempt, HttpClient? Http)
    where TCommand : class;

/// <summary>What a destination answered.</summary>
/// <param name="Outcome">Whether it took effect, failed for good, or should be tried again.</param>
/// <param name="StatusCode">The destination's status (an HTTP status for HTTP destinations; 0 when none was received).</param>
/// <param name="Detail">A short description for the receipt; never a secret or a response body with personal data.</param>
public sealed record EgressResult(EgressOutcome Outcome, int StatusCode, string? Detail = null)
{
    /// <summary>Whether it took effect.</summary>
    public bool Succeeded => Outcome == EgressOutcome.Executed;

    /// <summary>It took effect.</summary>
    /// <param name="statusCode">The destination's status.</param>
    /// <returns>An executed result.</returns>
    public static EgressResult Executed(int statusCode) => new(EgressOutcome.Executed, statusCode);

    /// <summary>It failed and trying again will not help (the kernel then calls the compensation hook).</summary>
    /// <param name="statusCode">The destination's status.</param>
    /// <param name="detail">Why.</param>
    /// <returns>A failed result.</returns>
    public static EgressResult Failed(int statusCode, string detail) => new(EgressOutcome.Failed, statusCode, detail);

    /// <summary>It did not take effect now; dispatch again later with the same idempotency key (bounded by the kernel's attempt limit).</summary>
    /// <param name="statusCode">The destination's status, 0 when none.</param>
    /// <param name="detail">Why.</param>
    /// <returns>A retry result.</returns>
    public static EgressResult Retry(int statusCode, string detail) => new(EgressOutcome.Retry, statusCode, detail);
}

/// <summary>How a dispatch ended.</summary>
public enum EgressOutcome
{
    /// <summary>The side effect took place.</summary>
    Executed = 1,

    /// <summary>It failed for good.</summary>
    Failed = 2,

    /// <summary>Try again later.</summary>
    Retry = 3,
}
