using Ops.Core.Packs;

namespace Ops.Packs.Victim;

/// <summary>The entry type: public, parameterless, an <see cref="IOpsPack"/>.</summary>
public sealed class VictimPack : IOpsPack
{
    public void Register(IPackBuilder builder) => ArgumentNullException.ThrowIfNull(builder);
}
