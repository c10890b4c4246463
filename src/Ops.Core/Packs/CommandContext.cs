using Ops.Core.Capabilities;
using Ops.Core.Envelopes;

namespace Ops.Core.Packs;

/// <summary>What a command handler sees: the typed command, its envelope and current state.</summary>
/// <typeparam name="TCommand">The command payload record.</typeparam>
public sealed class CommandContext<TCommand>
    where TCommand : class
{
    internal CommandContext(TCommand command, CommandEnvelope envelope, string commandId, IdentityScope scope, DateTimeOffset now, IStreamReader streams, CoreState core, IProjectionReader projections, CapabilityDecision? capability)
    {
        Capability = capability;
        Projections = projections;
        Core = core;
        Command = command;
        Envelope = envelope;
        CommandId = commandId;
        Scope = scope;
        Now = now;
        Streams = streams;
    }

    /// <summary>The deserialized payload.</summary>
    public TCommand Command { get; }

    /// <summary>The envelope, with the server-derived actor and scope.</summary>
    public CommandEnvelope Envelope { get; }

    /// <summary>The command's deterministic id (64 hex).</summary>
    public string CommandId { get; }

    /// <summary>The object the command acts on, as the kernel bound it (constitution A4): the client's target_ref, or the ref derived from the payload.</summary>
    public string TargetRef => Envelope.TargetRef!;

    /// <summary>The acting actor.</summary>
    public ActorRef Actor => Envelope.Actor!;

    /// <summary>Server-derived identity scope: tenant, mode, user and surface come from authentication.</summary>
    public IdentityScope Scope { get; }

    /// <summary>The kernel's time of decision (UTC), from its <see cref="TimeProvider"/>.</summary>
    public DateTimeOffset Now { get; }

    /// <summary>Kernel state (actors, capabilities) as of the decision; for Core's own handlers.</summary>
    internal CoreState Core { get; }

    /// <summary>The capability that authorized the command (a grant is made under it).</summary>
    internal CapabilityDecision? Capability { get; }

    /// <summary>
    /// Reads the pack's own projection documents as of the last commit, to find candidates (for example
    /// every note with a given title). Decide on the streams: they are current; projections may lag by
    /// the commits of the batch being decided.
    /// </summary>
    public IProjectionReader Projections { get; }

    /// <summary>Reads the pack's own streams as of now, including events appended earlier in the same commit batch.</summary>
    public IStreamReader Streams { get; }
}
