using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ops.Core.Identity;

/// <summary>
/// Deterministic ids (constitution A3, A6, A7): SHA-256 over the RFC 8785 canonical JSON of the
/// fields named below, so the same input yields the same id on every run and machine.
/// </summary>
public static class DeterministicIds
{
    /// <summary>
    /// event_id = SHA-256 of canonical <c>{"occurred_at","payload_hash","source_native_id","source_ref"}</c> (constitution A6).
    /// </summary>
    /// <param name="sourceRef">Where the event came from.</param>
    /// <param name="sourceNativeId">The source's own id of the fact.</param>
    /// <param name="payloadHash">SHA-256 of the canonical payload (64 hex).</param>
    /// <param name="occurredAt">When it happened; written as <see cref="OpsJson.FormatInstant"/>.</param>
    /// <returns>64 lowercase hex characters.</returns>
    /// <exception cref="ArgumentException">An argument is empty or the payload hash is not 64 hex characters.</exception>
    public static string EventId(string sourceRef, string sourceNativeId, string payloadHash, DateTimeOffset occurredAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceRef);
        ArgumentException.ThrowIfNullOrEmpty(sourceNativeId);
        if (!ContentHash.IsWellFormed(payloadHash))
        {
            throw new ArgumentException("payload_hash must be 64 lowercase hex characters.", nameof(payloadHash));
        }

        var node = new JsonObject
        {
            ["source_ref"] = sourceRef,
            ["source_native_id"] = sourceNativeId,
            ["payload_hash"] = payloadHash,
            ["occurred_at"] = OpsJson.FormatInstant(occurredAt),
        };
        return HashNode(node);
    }

    /// <summary>
    /// command_id derived from content: SHA-256 of canonical
    /// <c>{"actor_id","command_type","payload","target_ref","tenant_id"}</c>, or, when the client gave an
    /// idempotency key, of <c>{"actor_id","command_type","idempotency_key","tenant_id"}</c> (constitution A2, A3).
    /// </summary>
    /// <param name="tenantId">Tenant of the actor.</param>
    /// <param name="actorId">The acting actor.</param>
    /// <param name="commandType">Namespaced command type.</param>
    /// <param name="targetRef">Target reference.</param>
    /// <param name="payload">Command payload.</param>
    /// <param name="idempotencyKey">Optional client idempotency key.</param>
    /// <returns>64 lowercase hex characters.</returns>
    public static string CommandId(string tenantId, string actorId, string commandType, string targetRef, JsonElement payload, string? idempotencyKey)
    {
        var node = new JsonObject
        {
            ["tenant_id"] = tenantId,
            ["actor_id"] = actorId,
            ["command_type"] = commandType,
        };
        if (idempotencyKey is not null)
        {
            node["idempotency_key"] = idempotencyKey;
        }
        else
        {
            node["target_ref"] = targetRef;
            node["payload"] = JsonNode.Parse(payload.GetRawText());
        }

        return HashNode(node);
    }

    /// <summary>A derived id: SHA-256 of canonical <c>{"kind", "parts":[...]}</c>, for ids such as a capability id minted by a command.</summary>
    /// <param name="kind">What the id names, for example <c>capability</c>.</param>
    /// <param name="parts">The inputs that make it unique.</param>
    /// <returns>64 lowercase hex characters.</returns>
    public static string Derive(string kind, params string[] parts)
    {
        var array = new JsonArray();
        foreach (var part in parts)
        {
            array.Add(part);
        }

        return HashNode(new JsonObject { ["kind"] = kind, ["parts"] = array });
    }

    private static string HashNode(JsonNode node)
    {
        using var doc = JsonSerializer.SerializeToDocument(node);
        return ContentHash.OfJson(doc.RootElement);
    }
}
