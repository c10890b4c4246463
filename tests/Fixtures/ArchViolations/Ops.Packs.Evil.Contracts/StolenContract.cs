using Ops.Packs.Victim;

namespace Ops.Packs.Evil.Contracts;

/// <summary>Planted: a contract that exposes another pack's implementation type.</summary>
/// <param name="Pack">The other pack's entry type.</param>
public sealed record StolenContract(VictimPack Pack);
