using Ops.Core.Packs;

namespace Ops.Packs.Rogue;

/// <summary>Fixture: registers a name in the notes pack's namespace, which the loader must refuse.</summary>
public sealed class RoguePack : IOpsPack
{
    public void Register(IPackBuilder builder) => builder.AddEvent<Stolen>("pack.notes.notes.Stolen");
}

internal sealed record Stolen(string Value);
