namespace Ops.Core.Envelopes;

/// <summary>
/// Maximum lengths of the envelope's string fields, in UTF-16 characters. A longer value, or a value
/// with characters outside the stated set, is refused with <c>invalid_envelope</c> (HTTP 400) before
/// anything is decided or stored (issue 7: an 8 MB correlation id was once stored forever).
/// </summary>
public static class EnvelopeLimits
{
    /// <summary><c>command_type</c>: 200.</summary>
    public const int CommandType = 200;

    /// <summary><c>target_ref</c>: 512, no control characters.</summary>
    public const int TargetRef = 512;

    /// <summary><c>idempotency_key</c>: 200, no control characters.</summary>
    public const int IdempotencyKey = 200;

    /// <summary><c>correlation_id</c> and <c>causation_id</c>: 128 of <c>[A-Za-z0-9._:#-]</c>.</summary>
    public const int CorrelationId = 128;

    /// <summary><c>scope.project_id</c> and <c>scope.run_id</c>: 128 of <c>[A-Za-z0-9._:#-]</c>.</summary>
    public const int ScopeId = 128;

    /// <summary><c>scope.tenant_id</c>, <c>scope.user_id</c>, <c>scope.surface_id</c>, <c>scope.mode</c> and <c>actor.id</c>: 64.</summary>
    public const int Identity = 64;

    /// <summary><c>dedupe_scope.key</c> and <c>dedupe_scope.qualifier</c>: 512.</summary>
    public const int DedupeKey = 512;

    /// <summary><c>command_id</c> and <c>capability_id</c>: exactly 64 lowercase hex characters.</summary>
    public const int Hash = 64;
}
