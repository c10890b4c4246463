using Ops.Core.Packs;

namespace Ops.Packs.Leaky;

/// <summary>Planted: the entry type has no public parameterless constructor, so the host cannot create it.</summary>
public sealed class LeakyPack(string greeting) : IOpsPack
{
    public string Greeting { get; } = greeting;

    public void Register(IPackBuilder builder) => ArgumentNullException.ThrowIfNull(builder);
}
