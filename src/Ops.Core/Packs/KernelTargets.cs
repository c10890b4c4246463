using Ops.Core.Capabilities;

namespace Ops.Core.Packs;

/// <summary>What a binding sees: the client's target_ref, the command id and kernel state.</summary>
internal sealed record TargetContext(string? TargetRef, string CommandId, CoreState Core);

/// <summary>The object a command acts on, or why none could be bound (with a code from the catalogue).</summary>
internal sealed record TargetBinding(string? ObjectRef, string? Code, string? Problem)
{
    public static TargetBinding Bound(string objectRef) => new(objectRef, null, null);

    public static TargetBinding Refused(string problem, string code = Errors.ReasonCodes.InvalidTarget) => new(null, code, problem);

    /// <summary>
    /// Binds a pack's declared <see cref="CommandTarget{TCommand}"/> (the SDK type only says what was declared; the
    /// kernel decides here): a target_ref with the declared prefix, or the object ref the payload names.
    /// </summary>
    public static TargetBinding Of<TCommand>(CommandTarget<TCommand> target, TCommand command, TargetContext context)
        where TCommand : class
    {
        if (target.ObjectRef is { } objectRef)
        {
            return Bound(objectRef(command));
        }

        var prefix = target.TargetRefPrefix!;
        return context.TargetRef is null
            ? Refused($"target_ref is required: the object this command acts on, starting with '{prefix}'")
            : context.TargetRef.StartsWith(prefix, StringComparison.Ordinal)
            ? Bound(context.TargetRef)
            : Refused($"target_ref must start with '{prefix}'");
    }
}

/// <summary>
/// Core's own target bindings, which may look at kernel state (the owner of a key or capability). Packs declare theirs
/// with <see cref="CommandTarget{TCommand}"/>; these are registered through <see cref="CoreTargetExtensions.AddCommand"/>,
/// which only the kernel's own builder accepts.
/// </summary>
/// <typeparam name="TCommand">The core command's payload record.</typeparam>
internal sealed class CoreTarget<TCommand>
    where TCommand : class
{
    private CoreTarget(string description, Func<TCommand, TargetContext, TargetBinding> bind)
    {
        Description = description;
        Bind = bind;
    }

    public string Description { get; }

    public Func<TCommand, TargetContext, TargetBinding> Bind { get; }

    public static CoreTarget<TCommand> Of(string description, Func<TCommand, TargetContext, TargetBinding> bind) => new(description, bind);
}

/// <summary>Registers a core command with a <see cref="CoreTarget{TCommand}"/>.</summary>
internal static class CoreTargetExtensions
{
    public static IPackBuilder AddCommand<TCommand>(this IPackBuilder builder, string commandType, Envelopes.SafetyClass safetyClass, CoreTarget<TCommand> target)
        where TCommand : class =>
        builder is PackBuilder kernel
            ? kernel.AddCoreCommand(commandType, safetyClass, target)
            : throw new System.Diagnostics.UnreachableException($"{commandType}: only the kernel's own builder registers core commands.");
}

/// <summary>
/// The context of a decision as the kernel creates it: what the SDK's <see cref="CommandContext{TCommand}"/> shows a pack,
/// plus the kernel state and authorizing capability that Core's own handlers read (<c>context.Core</c>, <c>context.Capability</c>).
/// </summary>
/// <typeparam name="TCommand">The command payload record.</typeparam>
internal sealed class KernelCommandContext<TCommand>(TCommand command, Envelopes.CommandEnvelope envelope, string commandId, Envelopes.IdentityScope scope, DateTimeOffset now, IStreamReader streams, CoreState core, IProjectionReader projections, CapabilityDecision? capability)
    : CommandContext<TCommand>(command, envelope, commandId, scope, now, streams, projections)
    where TCommand : class
{
    /// <summary>Kernel state (actors, capabilities) as of the decision; for Core's own handlers.</summary>
    public CoreState Core { get; } = core;

    /// <summary>The capability that authorized the command (a grant is made under it).</summary>
    public CapabilityDecision? Capability { get; } = capability;
}

/// <summary>Core's handlers read kernel state from the context the kernel created (always a <see cref="KernelCommandContext{TCommand}"/>).</summary>
internal static class KernelCommandContextExtensions
{
    extension<TCommand>(CommandContext<TCommand> context)
        where TCommand : class
    {
        /// <summary>Kernel state (actors, capabilities) as of the decision.</summary>
        public CoreState Core => Kernel(context).Core;

        /// <summary>The capability that authorized the command.</summary>
        public CapabilityDecision? Capability => Kernel(context).Capability;
    }

    private static KernelCommandContext<TCommand> Kernel<TCommand>(CommandContext<TCommand> context)
        where TCommand : class =>
        context as KernelCommandContext<TCommand>
        ?? throw new System.Diagnostics.UnreachableException("A core command was decided with a context the kernel did not create; Core's handlers need the kernel's state.");
}
