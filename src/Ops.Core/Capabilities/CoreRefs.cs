namespace Ops.Core.Capabilities;

/// <summary>
/// The object refs of Core's own objects: what capabilities' target patterns match, and the keys of the
/// streams their events go to (stream <c>core:&lt;ref&gt;</c>). Keys and capabilities live under their owner's
/// actor ref, so a capability with target <c>actor-bob:*</c> covers exactly Bob's keys and capabilities
/// (':' cannot occur in an actor id).
/// </summary>
public static class CoreRefs
{
    /// <summary><c>actor-&lt;actor_id&gt;</c>.</summary>
    /// <param name="actorId">The actor.</param>
    /// <returns>The ref.</returns>
    public static string Actor(string actorId) => "actor-" + actorId;

    /// <summary><c>actor-&lt;actor_id&gt;:apikey-&lt;key_id&gt;</c>.</summary>
    /// <param name="actorId">The key's owner.</param>
    /// <param name="keyId">The key.</param>
    /// <returns>The ref.</returns>
    public static string ApiKey(string actorId, string keyId) => $"actor-{actorId}:apikey-{keyId}";

    /// <summary><c>actor-&lt;actor_id&gt;:signer-key-&lt;key_id&gt;</c>.</summary>
    /// <param name="actorId">The key's owner.</param>
    /// <param name="keyId">The key.</param>
    /// <returns>The ref.</returns>
    public static string SignerKey(string actorId, string keyId) => $"actor-{actorId}:signer-key-{keyId}";

    /// <summary><c>actor-&lt;holder&gt;:capability-&lt;capability_id&gt;</c>.</summary>
    /// <param name="holderActorId">The capability's holder.</param>
    /// <param name="capabilityId">The capability.</param>
    /// <returns>The ref.</returns>
    public static string Capability(string holderActorId, string capabilityId) => $"actor-{holderActorId}:capability-{capabilityId}";

    /// <summary><c>policy-&lt;name&gt;</c>.</summary>
    /// <param name="name">The policy's name.</param>
    /// <returns>The ref.</returns>
    public static string Policy(string name) => "policy-" + name;

    /// <summary>The stream of a core object: <c>core:&lt;ref&gt;</c>.</summary>
    /// <param name="objectRef">The object's ref.</param>
    /// <returns>The stream id.</returns>
    internal static string Stream(string objectRef) => "core:" + objectRef;
}
