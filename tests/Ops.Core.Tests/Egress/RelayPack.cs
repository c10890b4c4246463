using System.Collections.Concurrent;
using Ops.Core.Egress;
using Ops.Core.Packs;

namespace Ops.Core.Tests.Egress;

public sealed record SendMessage(string ProbeId, string MessageId, string Text);

public sealed record MessageQueued(string MessageId, string Text);

/// <summary>The same message to a second destination, "relay2" (quota and switch cases that need two destinations).</summary>
public sealed record SendElsewhere(string ProbeId, string MessageId, string Text);

/// <summary>Pack id "relay": egress commands to destinations "relay" and "relay2", whose handlers report to a <see cref="RelayProbe"/>.</summary>
public sealed class RelayPack : IOpsPack
{
    public void Register(IPackBuilder builder) =>
        builder.AddEvent<MessageQueued>("pack.relay.messages.MessageQueued")
            .AddEgressCommand("pack.relay.messages.Send", "relay", CommandTarget<SendMessage>.FromTargetRef("message-"))
            .AddEgressCommand("pack.relay.messages.SendElsewhere", "relay2", CommandTarget<SendElsewhere>.FromTargetRef("message-"));
}

internal sealed class SendMessageHandler : ICommandHandler<SendMessage>
{
    public ValueTask<Decision> DecideAsync(CommandContext<SendMessage> context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Decision.Accept(new MessageQueued(context.Command.MessageId, context.Command.Text)).WithPreview(null, new { text = context.Command.Text }, Reversibility.Compensatable));
}

internal sealed class SendElsewhereHandler : ICommandHandler<SendElsewhere>
{
    public ValueTask<Decision> DecideAsync(CommandContext<SendElsewhere> context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Decision.Accept(new MessageQueued(context.Command.MessageId, context.Command.Text)).WithPreview(null, new { text = context.Command.Text }, Reversibility.Compensatable));
}

/// <summary>The destination as the test sees it: every call with its idempotency key, and what to answer.</summary>
internal sealed class RelayProbe
{
    private static readonly ConcurrentDictionary<string, RelayProbe> Probes = new(StringComparer.Ordinal);

    public RelayProbe() => Probes[Id] = this;

    public string Id { get; } = Guid.NewGuid().ToString("N");

    public ConcurrentQueue<(string RequestId, string Key, int Attempt)> Calls { get; } = new();

    public ConcurrentQueue<string> Compensations { get; } = new();

    /// <summary>What the next calls answer (default executed, 201).</summary>
    public Func<EgressCall<SendMessage>, EgressResult> Answer { get; set; } = _ => EgressResult.Executed(201);

    /// <summary>What the compensation hook answers (default executed, 204); it may throw to stand for a transport failure.</summary>
    public Func<EgressCall<SendMessage>, EgressResult> CompensationAnswer { get; set; } = _ => EgressResult.Executed(204);

    /// <summary>Distinct keys that took effect: what a deduping destination holds.</summary>
    public int Effects => Calls.Select(c => c.Key).Distinct(StringComparer.Ordinal).Count();

    public static RelayProbe Of(string id) => Probes[id];
}

internal sealed class RelayEgressHandler : IEgressHandler<SendMessage>
{
    public ValueTask<EgressResult> DispatchAsync(EgressCall<SendMessage> call, CancellationToken cancellationToken)
    {
        var probe = RelayProbe.Of(call.Command.ProbeId);
        probe.Calls.Enqueue((call.RequestId, call.IdempotencyKey, call.Attempt));
        return ValueTask.FromResult(probe.Answer(call));
    }

    public ValueTask<EgressResult> CompensateAsync(EgressCall<SendMessage> call, CancellationToken cancellationToken)
    {
        var probe = RelayProbe.Of(call.Command.ProbeId);
        probe.Compensations.Enqueue(call.RequestId);
        return ValueTask.FromResult(probe.CompensationAnswer(call));
    }
}

internal sealed class RelayElsewhereHandler : IEgressHandler<SendElsewhere>
{
    public ValueTask<EgressResult> DispatchAsync(EgressCall<SendElsewhere> call, CancellationToken cancellationToken)
    {
        var probe = RelayProbe.Of(call.Command.ProbeId);
        probe.Calls.Enqueue((call.RequestId, call.IdempotencyKey, call.Attempt));
        return ValueTask.FromResult(EgressResult.Executed(201));
    }

    public ValueTask<EgressResult> CompensateAsync(EgressCall<SendElsewhere> call, CancellationToken cancellationToken)
    {
        RelayProbe.Of(call.Command.ProbeId).Compensations.Enqueue(call.RequestId);
        return ValueTask.FromResult(EgressResult.Executed(204));
    }
}
