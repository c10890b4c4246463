using System.Text.Json;
using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Packs;

namespace Ops.Testing;

/// <summary>
/// Builds the <see cref="CommandContext{TCommand}"/> a handler sees, to call <c>DecideAsync</c> directly in a
/// unit test, with the envelope, command id and scope filled the way the kernel fills them (and the kernel's state,
/// so Core's own handlers can be called too). Prefer <see cref="PackSpec"/>, which also validates the payload and
/// binds the target as the kernel does.
/// </summary>
public static class CommandContexts
{
    /// <summary>A context for <paramref name="command"/> on <paramref name="targetRef"/>, as the kernel would bind it.</summary>
    /// <typeparam name="TCommand">The command payload record.</typeparam>
    /// <param name="commandType">The command type, for example <c>pack.acme.items.CreateItem</c> (goes into the envelope and the command id).</param>
    /// <param name="targetRef">The bound target_ref: the object the command acts on.</param>
    /// <param name="command">The payload.</param>
    /// <param name="now">The decision instant (<see cref="CommandContext{TCommand}.Now"/>); 2026-11-21T09:00:00Z, <see cref="ManualTimeProvider"/>'s default start, when omitted.</param>
    /// <param name="actor">The acting actor; <c>alice</c> (human) when omitted.</param>
    /// <param name="scope">The server-derived scope; tenant <c>acme</c>, mode <c>system</c>, user the actor, surface <c>test</c> when omitted.</param>
    /// <param name="streams">The pack's streams; none (every stream empty) when omitted.</param>
    /// <param name="projections">The pack's projection documents; none when omitted.</param>
    /// <returns>The context. Its <see cref="CommandContext{TCommand}.CommandId"/> is derived from the content as the kernel derives it without an idempotency key.</returns>
    public static CommandContext<TCommand> Create<TCommand>(
        string commandType,
        string targetRef,
        TCommand command,
        DateTimeOffset? now = null,
        ActorRef? actor = null,
        IdentityScope? scope = null,
        IStreamReader? streams = null,
        IProjectionReader? projections = null)
        where TCommand : class
    {
        ArgumentException.ThrowIfNullOrEmpty(commandType);
        ArgumentException.ThrowIfNullOrEmpty(targetRef);
        ArgumentNullException.ThrowIfNull(command);
        var who = actor ?? new ActorRef("alice", ActorKind.Human);
        var where = scope ?? new IdentityScope(PackSpec.DefaultTenant, PackSpec.Mode, who.Id, "test");
        var at = now ?? new ManualTimeProvider().GetUtcNow();
        var payload = JsonSerializer.SerializeToElement(command, command.GetType(), OpsJson.Options);
        var commandId = DeterministicIds.CommandId(where.TenantId, who.Id, commandType, targetRef, payload, null);
        var envelope = new CommandEnvelope
        {
            CommandId = commandId,
            CommandType = commandType,
            TargetRef = targetRef,
            Payload = payload,
            Actor = who,
            Scope = where,
            RequestedAt = at,
            CorrelationId = commandId,
        };
        return new KernelCommandContext<TCommand>(command, envelope, commandId, where, at, streams ?? NoStreams.Instance, CoreState.Empty, projections ?? NoProjections.Instance, null);
    }

    private sealed class NoStreams : IStreamReader
    {
        public static NoStreams Instance { get; } = new();

        public ValueTask<IReadOnlyList<EventEnvelope>> ReadStreamAsync(string streamKey, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<EventEnvelope>>([]);
    }

    private sealed class NoProjections : IProjectionReader
    {
        public static NoProjections Instance { get; } = new();

        public ValueTask<TDocument?> GetAsync<TDocument>(string projectionName, string key, CancellationToken cancellationToken)
            where TDocument : class => ValueTask.FromResult<TDocument?>(null);

        public ValueTask<IReadOnlyList<TDocument>> ListAsync<TDocument>(string projectionName, CancellationToken cancellationToken)
            where TDocument : class => ValueTask.FromResult<IReadOnlyList<TDocument>>([]);
    }
}
