using System.Text.Json;
using System.Text.Json.Nodes;
using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Identity;

namespace Ops.Core.Commands.Pipeline;

/// <summary>The server-derived identity of a command: its actor, scope, command id and content hash.</summary>
internal sealed record BoundIdentity(ActorRegistered Actor, ActorRef ActorRef, IdentityScope Scope, string CommandId, string ContentHash);

/// <summary>
/// Stage 2: identity precedence (seed 001 §5). The actor and tenant come from authentication, the mode
/// from the host, the surface from the edge; a claim in the envelope, in a pack command's payload, or in
/// the caller's headers that differs is refused, never silently overridden. Pure.
/// </summary>
internal static class IdentityStage
{
    /// <summary>Payload members that are identity claims when a pack command carries them (core payloads name objects, not the caller).</summary>
    internal static readonly string[] PayloadClaims = ["tenant_id", "mode", "user_id", "surface_id"];

    public static StageResult<BoundIdentity> Run(CoreState core, string mode, Validated validated, CommandEnvelope envelope, CallerContext caller, DateTimeOffset now)
    {
        var registration = validated.Registration;
        if (!core.Actors.TryGetValue(caller.Actor.Id, out var actor))
        {
            return new Rejection(ReasonCodes.UnknownActor, $"actor '{caller.Actor.Id}' is not registered");
        }

        if (core.ActorInvalidReason(actor.ActorId, now) is { } disabled)
        {
            return new Rejection(ReasonCodes.ActorDisabled, disabled);
        }

        var derived = new IdentityScope(actor.TenantId, mode, actor.ActorId, caller.SurfaceId, envelope.Scope?.ProjectId, envelope.Scope?.RunId);
        if (envelope.Actor is { } claimedActor && (claimedActor.Id != actor.ActorId || claimedActor.Kind != actor.Kind))
        {
            return Mismatch("actor", $"{claimedActor.Id} ({claimedActor.Kind})", $"{actor.ActorId} ({actor.Kind})");
        }

        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["tenant_id"] = derived.TenantId,
            ["mode"] = derived.Mode,
            ["user_id"] = derived.UserId,
            ["surface_id"] = derived.SurfaceId,
            ["actor_id"] = actor.ActorId,
        };
        if (envelope.Scope is { } claimed
            && (Differs("tenant_id", claimed.TenantId) ?? Differs("mode", claimed.Mode) ?? Differs("user_id", claimed.UserId) ?? Differs("surface_id", claimed.SurfaceId)) is { } scopeMismatch)
        {
            return scopeMismatch;
        }

        foreach (var (field, claim) in caller.Claims ?? new Dictionary<string, string>())
        {
            if (!values.ContainsKey(field))
            {
                return new Rejection(ReasonCodes.IdentityMismatch, $"'{field}' is not an identity field the kernel accepts as a claim; identity comes from authentication") { Field = field, Claimed = claim };
            }

            if (Differs(field, claim) is { } headerMismatch)
            {
                return headerMismatch;
            }
        }

        if (registration.Owner != "core")
        {
            foreach (var field in PayloadClaims)
            {
                if (envelope.Payload.TryGetProperty(field, out var value) && Differs(field, value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()) is { } payloadMismatch)
                {
                    return payloadMismatch;
                }
            }
        }

        // A target the kernel derives from the payload is not part of the id, so the proposal's bound envelope has the same id.
        var targetForId = registration.TargetFromPayload ? string.Empty : envelope.TargetRef ?? string.Empty;
        var commandId = DeterministicIds.CommandId(actor.TenantId, actor.ActorId, registration.Name, targetForId, envelope.Payload, envelope.IdempotencyKey);
        if (envelope.CommandId is not null && !string.Equals(envelope.CommandId, commandId, StringComparison.Ordinal))
        {
            return new Rejection(ReasonCodes.CommandIdMismatch, $"command_id does not match the command's content (expected {commandId}); omit it, or send idempotency_key to derive it from your own key");
        }

        var contentHash = ContentHash.OfValue(new JsonObject
        {
            ["command_type"] = registration.Name,
            ["target_ref"] = targetForId,
            ["payload"] = JsonNode.Parse(envelope.Payload.GetRawText()),
            ["actor_id"] = actor.ActorId,
            ["tenant_id"] = actor.TenantId,
        });
        return new BoundIdentity(actor, new ActorRef(actor.ActorId, actor.Kind), derived, commandId, contentHash);

        Rejection? Differs(string field, string? claim) =>
            claim is not null && !string.Equals(claim, values[field], StringComparison.Ordinal) ? Mismatch(field, claim, values[field]) : null;
    }

    private static Rejection Mismatch(string field, string claimed, string? derived) =>
        new(ReasonCodes.IdentityMismatch, $"{field} '{Clip(claimed)}' does not match the authenticated {field} '{derived}'; identity comes from authentication")
        {
            Field = field,
            Claimed = claimed,
            Derived = derived,
        };

    private static string Clip(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
