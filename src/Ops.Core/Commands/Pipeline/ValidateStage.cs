using System.Text.Json;
using System.Text.RegularExpressions;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Identity;
using Ops.Core.Naming;
using Ops.Core.Packs;

namespace Ops.Core.Commands.Pipeline;

/// <summary>A command whose envelope is well formed, with its registration and typed payload.</summary>
internal sealed record Validated(CommandRegistration Registration, object Payload);

/// <summary>Stage 1: the envelope's shape and limits (<see cref="EnvelopeLimits"/>), the command type, and the payload. Pure.</summary>
internal static partial class ValidateStage
{
    public static StageResult<Validated> Run(KernelRegistry registry, CommandEnvelope envelope, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        var commandType = envelope.CommandType ?? string.Empty;
        if (commandType.Length > EnvelopeLimits.CommandType)
        {
            return Invalid($"command_type is invalid: longer than {EnvelopeLimits.CommandType} characters");
        }

        if (OpsTypeName.Parse(commandType).Problem is { } nameError)
        {
            return Invalid($"command_type is invalid: {nameError}");
        }

        var problem = CheckFields(envelope);
        if (problem is not null)
        {
            return Invalid(problem);
        }

        if (envelope.Payload.ValueKind != JsonValueKind.Object)
        {
            return Invalid("payload must be a JSON object");
        }

        if (!registry.Commands.TryGetValue(commandType, out var registration))
        {
            return new Rejection(ReasonCodes.UnknownCommandType, $"No pack handles command type {commandType}. Installed packs: {string.Join(", ", registry.Packs.Select(p => p.PackId))}");
        }

        if (registration.SafetyClass == SafetyClass.WriteExternalSideEffect && registration.Egress is null)
        {
            // Only through the outbox (constitution §9: no egress bypass): a pack that declared the class without a dispatcher is refused.
            return new Rejection(ReasonCodes.SafetyClassUnsupported, $"{commandType} is WRITE_EXTERNAL_SIDE_EFFECT but was registered without an egress handler (IPackBuilder.AddEgressCommand); external side effects go out only through the kernel's outbox, so it is refused");
        }

        try
        {
            var payload = envelope.Payload.Deserialize(registration.PayloadType, OpsJson.Options)
                ?? throw new JsonException("payload is null.");
            return new Validated(registration, payload);
        }
        catch (JsonException ex)
        {
            // An identity claim the payload record does not declare is still a claim (seed 001 §5): refused as one, so it is recorded.
            if (registration.Owner != "core" && ex.Path is ['$', '.', .. var member] && IdentityStage.PayloadClaims.Contains(member, StringComparer.Ordinal)
                && envelope.Payload.TryGetProperty(member, out var claimed))
            {
                return new Rejection(ReasonCodes.IdentityMismatch, $"the payload claims {member}; identity comes from authentication, never from a pack command's payload")
                {
                    Field = member,
                    Claimed = claimed.ValueKind == JsonValueKind.String ? claimed.GetString() : claimed.GetRawText(),
                };
            }

            // The path and position, never the exception's text: it names .NET types.
            return new Rejection(ReasonCodes.InvalidPayload, $"payload does not fit {commandType} at {ex.Path ?? "$"}: a member is missing, unknown, or of the wrong type (see the command's schema)");
        }
        catch (Exception ex) when (ex is not OperationCanceledException && PackFaults.IsPack(registration.Owner))
        {
            // The payload record's constructor and converters are the pack's code.
            return new Rejection(ReasonCodes.PackFault, PackFaults.Caught(logger, registration.Owner, "reading the payload of " + registration.Name, ex));
        }
    }

    /// <summary>Every string field against its limit and character set; null when all fit.</summary>
    internal static string? CheckFields(CommandEnvelope e)
    {
        if (e.TargetRef is not null && (e.TargetRef.Length is 0 or > EnvelopeLimits.TargetRef || e.TargetRef.Any(char.IsControl)))
        {
            return $"target_ref must be 1 to {EnvelopeLimits.TargetRef} characters without control characters";
        }

        if (e.CommandId is not null && !ContentHash.IsWellFormed(e.CommandId))
        {
            return "command_id must be 64 lowercase hex characters";
        }

        if (e.CapabilityId is not null && !ContentHash.IsWellFormed(e.CapabilityId))
        {
            return "capability_id must be 64 lowercase hex characters";
        }

        if (e.IdempotencyKey is not null && (e.IdempotencyKey.Length is 0 or > EnvelopeLimits.IdempotencyKey || e.IdempotencyKey.Any(char.IsControl)))
        {
            return $"idempotency_key must be 1 to {EnvelopeLimits.IdempotencyKey} characters without control characters";
        }

        if (Id(e.CorrelationId, EnvelopeLimits.CorrelationId) is false)
        {
            return $"correlation_id must be 1 to {EnvelopeLimits.CorrelationId} characters of [A-Za-z0-9._:#-]";
        }

        if (Id(e.CausationId, EnvelopeLimits.CorrelationId) is false)
        {
            return $"causation_id must be 1 to {EnvelopeLimits.CorrelationId} characters of [A-Za-z0-9._:#-]";
        }

        if (e.CausationId is not null && e.CausationType is null)
        {
            return "causation_type is required when causation_id is set (constitution A2)";
        }

        if (e.Actor is { } actor && (actor.Id is null || actor.Id.Length is 0 or > EnvelopeLimits.Identity))
        {
            return $"actor.id must be 1 to {EnvelopeLimits.Identity} characters";
        }

        if (e.DedupeScope is { } dedupe && (dedupe.Key is null || dedupe.Key.Length > EnvelopeLimits.DedupeKey || dedupe.Qualifier?.Length > EnvelopeLimits.DedupeKey))
        {
            return $"dedupe_scope.key and qualifier are at most {EnvelopeLimits.DedupeKey} characters";
        }

        if (e.Scope is { } scope)
        {
            if (new[] { scope.TenantId, scope.Mode, scope.UserId, scope.SurfaceId }.Any(v => v is { Length: > EnvelopeLimits.Identity }))
            {
                return $"scope.tenant_id, mode, user_id and surface_id are at most {EnvelopeLimits.Identity} characters";
            }

            if (Id(scope.ProjectId, EnvelopeLimits.ScopeId) is false || Id(scope.RunId, EnvelopeLimits.ScopeId) is false)
            {
                return $"scope.project_id and scope.run_id must be 1 to {EnvelopeLimits.ScopeId} characters of [A-Za-z0-9._:#-]";
            }
        }

        return null;
    }

    /// <summary>Null when absent; otherwise whether it fits.</summary>
    private static bool? Id(string? value, int max) => value is null ? null : value.Length <= max && IdPattern().IsMatch(value);

    private static Rejection Invalid(string message) => new(ReasonCodes.InvalidEnvelope, message);

    [GeneratedRegex("^[A-Za-z0-9._:#-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
