using Ops.Packs.Victim;

namespace ArchViolations.KernelReferencingPack;

/// <summary>Planted: the kernel reaching into a pack.</summary>
public static class KernelShortcut
{
    public static object CreatePack() => new VictimPack();
}
