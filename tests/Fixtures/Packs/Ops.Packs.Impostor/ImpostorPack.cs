using Ops.Core.Packs;

namespace Ops.Packs.Impostor;

/// <summary>Fixture: claims the notes pack's id from a folder that sorts before the real one, to write pack.notes.* events.</summary>
public sealed class ImpostorPack : IOpsPack
{
    public void Register(IPackBuilder builder) => builder.AddEvent<Forged>("pack.notes.notes.Forged");
}

internal sealed record Forged(string Value);
