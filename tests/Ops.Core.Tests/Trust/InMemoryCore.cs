using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Capabilities;
using Ops.Core.Commands;
using Ops.Core.Commands.Pipeline;
using Ops.Core.Envelopes;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Core.Log;
using Ops.Core.Packs;

namespace Ops.Core.Tests.Trust;

/// <summary>
/// The gateway's own stages (validate, identity, target, authorize, decide) on an in-memory <see cref="CoreState"/>,
/// with accepted events folded straight back in: the kernel's authorization code without storage, fast enough
/// for tens of thousands of generated sequences. Consent is not run here; it is orthogonal to authority.
/// </summary>
internal sealed class InMemoryCore
{
    private static readonly KernelRegistry CoreRegistry = KernelRegistryFactory.CreateWithCore(TimeProvider.System, NullLoggerFactory.Instance);
    private long _position;

    public InMemoryCore(DateTimeOffset start, string[] actors)
    {
        Now = start;
        var state = CoreState.Empty;
        foreach (var actor in actors)
        {
            state = Fold(state, CoreRefs.Stream(CoreRefs.Actor(actor)), CoreEventTypes.ActorRegistered, new ActorRegistered(actor, ActorKind.Human, "acme", actor));
        }

        RootCapabilityId = new string('0', 64);
        State = Fold(state, CoreRefs.Stream(CoreRefs.Capability(actors[0], RootCapabilityId)), CoreEventTypes.CapabilityGranted, new CapabilityGranted(RootCapabilityId, actors[0], CapabilityScope.All, start, null, null, Bootstrap.BootstrapActorId));
    }

    public CoreState State { get; private set; }

    public DateTimeOffset Now { get; set; }

    public string RootCapabilityId { get; }

    /// <summary>Runs one command as <paramref name="actorId"/>; returns the authorizing capability and the new capability id when accepted.</summary>
    public async Task<Result> RunAsync(string actorId, string commandType, object payload, string? idempotencyKey = null)
    {
        var envelope = new CommandEnvelope
        {
            CommandType = commandType,
            Payload = JsonSerializer.SerializeToElement(payload, payload.GetType(), OpsJson.Options),
            IdempotencyKey = idempotencyKey,
        };
        var caller = new CallerContext(new ActorRef(actorId, ActorKind.Human), "test");
        var validated = ValidateStage.Run(CoreRegistry, envelope);
        if (validated.Rejection is { } invalid)
        {
            return Result.Rejected(invalid.Code);
        }

        var identity = IdentityStage.Run(State, "system", validated.Value!, envelope, caller, Now);
        if (identity.Rejection is { } notIdentified)
        {
            return Result.Rejected(notIdentified.Code);
        }

        var target = TargetStage.Run(validated.Value!, envelope, identity.Value!.CommandId, State);
        if (target.Rejection is { } notBound)
        {
            return Result.Rejected(notBound.Code);
        }

        var capability = AuthorizeStage.Run(State, validated.Value!, actorId, target.Value!, null, Now);
        if (capability.Rejection is { } denied)
        {
            return Result.Rejected(denied.Code);
        }

        var bound = DecideStage.Bind(envelope, identity.Value, target.Value!, capability.Value!, Now);
        var decided = await DecideStage.RunAsync(CoreRegistry, validated.Value!, bound, identity.Value, capability.Value!, Now, Now, NoStreams.Instance, State, null!, null, CancellationToken.None);
        if (decided.Rejection is { } refused)
        {
            return Result.Rejected(refused.Code);
        }

        var chosen = decided.Value![0];
        string? created = null;
        foreach (var (type, element) in chosen.Events)
        {
            var draft = EventDraft.Create(type.Name, type.SchemaVersion, element, "command:" + identity.Value.CommandId, identity.Value.CommandId + "#" + _position, null, Now, new Causation(identity.Value.CommandId, null, null), identity.Value.ActorRef, capability.Value!.CapabilityId, capability.Value.StateRef, identity.Value.Scope, chosen.StreamId);
            State = State.Apply(new LoggedEvent(++_position, draft));
            if (type.Name == CoreEventTypes.CapabilityGranted)
            {
                created = draft.PayloadAs<CapabilityGranted>().CapabilityId;
            }
        }

        return new Result(true, null, capability.Value!.CapabilityId, created);
    }

    private CoreState Fold(CoreState state, string stream, string type, object payload)
    {
        var draft = EventDraft.Create(type, 1, EventDraft.Payload(payload), "test:genesis", stream, null, Now, new Causation("genesis", null, null), new ActorRef(Bootstrap.BootstrapActorId, ActorKind.Service), null, null, new IdentityScope("acme", "system", null, "test"), stream);
        return state.Apply(new LoggedEvent(++_position, draft));
    }

    public sealed record Result(bool Accepted, string? ReasonCode, string? AuthorizingCapabilityId, string? CreatedCapabilityId)
    {
        public static Result Rejected(string code) => new(false, code, null, null);
    }

    private sealed class NoStreams : IStreamReader
    {
        public static readonly NoStreams Instance = new();

        public ValueTask<IReadOnlyList<EventEnvelope>> ReadStreamAsync(string streamKey, CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<EventEnvelope>>([]);
    }
}
