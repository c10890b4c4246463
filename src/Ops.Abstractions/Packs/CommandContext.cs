using Ops.Core.Envelopes;

namespace Ops.Core.Packs;

/// <summary>What a command handler sees: the typed command, its envelope and current state.</summary>
/// <typeparam name="TCommand">The command payload record.</typeparam>
/// <remarks>
/// Created by the kernel for each decision; a handler never creates one. To call a handler in a test, use
/// <c>CommandContexts.Create</c> or <c>PackSpec</c> of AlignTrue.Ops.Testing, which fill the envelope and scope the way the
/// kernel does. The class is not sealed because the kernel adds its own state to the contexts of its core commands.
/// </remarks>
public class CommandContext<TCommand>
    where TCommand : class
{
    /// <summary>Creates a context. The kernel does this for every decision; see the remarks on the class.</summary>
    /// <param name="command">The deserialized payload.</param>
    /// <param name="envelope">The bound envelope: its <see cref="CommandEnvelope.TargetRef"/> and <see cref="CommandEnvelope.Actor"/> are set.</param>
    /// <param name="commandId">The command's deterministic id (64 hex).</param>
    /// <param name="scope">The server-derived identity scope.</param>
    /// <param name="now">The kernel's time of decision (UTC).</param>
    /// <param name="streams">Reads the pack's streams as of now.</param>
    /// <param name="projections">Reads the pack's projection documents of the caller's tenant.</param>
    public CommandContext(TCommand command, CommandEnvelope envelope, string commandId, IdentityScope scope, DateTimeOffset now, IStreamReader streams, IProjectionReader projections)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(envelope);
        Projections = projections;
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

    /// <summary>
    /// Reads the pack's own projection documents as of the last commit, to find candidates (for example
    /// every note with a given title); only the acting actor's tenant's documents, in the host's mode
    /// (see <see cref="IProjectionReader"/>). Decide on the streams: they are current; projections may
    /// lag by the commits of the batch being decided.
    /// </summary>
    public IProjectionReader Projections { get; }

    /// <summary>
    /// Reads the pack's own streams as of now, including events appended earlier in the same commit batch.
    /// Streams are not scoped to a tenant: check that what you decide on belongs to <see cref="Scope"/>'s tenant.
    /// </summary>
    public IStreamReader Streams { get; }
}
