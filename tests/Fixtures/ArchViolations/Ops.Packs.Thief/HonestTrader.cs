using Ops.Packs.Victim.Contracts;

namespace Ops.Packs.Thief;

/// <summary>Allowed: another pack's contract. The rule must not name this type.</summary>
internal static class HonestTrader
{
    public static string Describe(VictimRecorded recorded) => recorded.Id;
}
