namespace Ops.Core.Packs;

/// <summary>
/// Decides a command against current state, without writing: it returns the events to append or a
/// rejection, and the kernel appends them atomically. Handlers must be deterministic given the
/// state they read and <see cref="CommandContext{TCommand}.Now"/>.
/// </summary>
/// <typeparam name="TCommand">The command payload record.</typeparam>
public interface ICommandHandler<TCommand>
    where TCommand : class
{
    /// <summary>Decides the command.</summary>
    /// <param name="context">The command, its envelope and read access to current streams.</param>
    /// <param name="cancellationToken">Cancels the decision.</param>
    /// <returns><see cref="Decision.Accept(object[])"/> with events, or <see cref="Decision.Reject"/>.</returns>
    ValueTask<Decision> DecideAsync(CommandContext<TCommand> context, CancellationToken cancellationToken);
}
