using System.Text.Json;
using Ops.Core.Identity;

namespace Ops.Core.Egress;

/// <summary>What the kernel knows of a pack's egress command: its destination and its handler, untyped.</summary>
/// <param name="Destination">Where its requests go.</param>
/// <param name="Dispatch">Calls the pack's <see cref="IEgressHandler{TCommand}.DispatchAsync"/> with the payload deserialized.</param>
/// <param name="Compensate">Calls its compensation hook.</param>
internal sealed record EgressBinding(string Destination, Func<EgressInvocation, CancellationToken, ValueTask<EgressResult>> Dispatch, Func<EgressInvocation, CancellationToken, ValueTask<EgressResult>> Compensate)
{
    /// <summary>Binds a typed handler.</summary>
    public static EgressBinding For<TCommand>(string destination, IEgressHandler<TCommand> handler)
        where TCommand : class =>
        new(
            destination,
            (i, ct) => handler.DispatchAsync(i.Typed<TCommand>(), ct),
            (i, ct) => handler.CompensateAsync(i.Typed<TCommand>(), ct));
}

/// <summary>One call of a handler, before the payload is typed.</summary>
internal sealed record EgressInvocation(JsonElement Payload, string RequestId, string Destination, string TenantId, string IdempotencyKey, int Attempt, HttpClient? Http)
{
    public EgressCall<TCommand> Typed<TCommand>()
        where TCommand : class =>
        new(Payload.Deserialize<TCommand>(OpsJson.Options) ?? throw new JsonException("The egress request's payload is null."), RequestId, Destination, TenantId, IdempotencyKey, Attempt, Http);
}
