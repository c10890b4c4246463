using Ops.Packs.Victim;

namespace Ops.Packs.Thief;

/// <summary>Planted: uses another pack's implementation type instead of its contract.</summary>
internal static class Burglar
{
    public static object Break() => new VictimPack();
}
