using Ops.Core.Envelopes;
using Ops.Core.Packs;

namespace Ops.Testing.Tests;

/// <summary>A command of the planted packs below.</summary>
/// <param name="Id">Names the object.</param>
public sealed record Poke(string Id);

/// <summary>An event the planted pack registers.</summary>
/// <param name="Id">The object.</param>
public sealed record Poked(string Id);

/// <summary>An event nobody registers.</summary>
/// <param name="Id">The object.</param>
public sealed record Unregistered(string Id);

/// <summary>Registers a command whose handler emits an event type the pack never registered.</summary>
public sealed class LeakyPack : IOpsPack
{
    public void Register(IPackBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder
            .AddEvent<Poked>("pack.leaky.things.Poked")
            .AddCommand("pack.leaky.things.Poke", SafetyClass.WriteInternal, CommandTarget<Poke>.FromPayload(p => "thing-" + p.Id));
    }
}

/// <summary>Registers a name outside its own namespace.</summary>
public sealed class SquatterPack : IOpsPack
{
    public void Register(IPackBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddEvent<Poked>("pack.notes.notes.Poked");
    }
}

internal sealed class PokeHandler : ICommandHandler<Poke>
{
    public ValueTask<Decision> DecideAsync(CommandContext<Poke> context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(Decision.Accept(new Unregistered(context.Command.Id)).WithPreview(null, new { id = context.Command.Id }));
    }
}

/// <summary>A planted violation of the install rules: a pack type that reads a file.</summary>
internal static class ReadsAFile
{
    public static string Read(string path) => File.ReadAllText(path);
}
