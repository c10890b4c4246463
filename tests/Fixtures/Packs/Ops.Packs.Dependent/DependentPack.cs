using Ops.Core.Packs;

namespace Ops.Packs.Dependent;

/// <summary>Fixture: depends on a contract module that no installed pack exports.</summary>
public sealed class DependentPack : IOpsPack
{
    public void Register(IPackBuilder builder) => builder.AddEvent<Pinged>("pack.dependent.ping.Pinged");
}

internal sealed record Pinged(string Value);
