using Ops.Packs.Victim.Contracts;

namespace Ops.Packs.Victim;

/// <summary>An implementation type: internal, as every implementation type but the entry type.</summary>
internal sealed class VictimLedger
{
    private readonly List<VictimRecorded> _recorded = [];

    public int Count => _recorded.Count;

    public void Record(string id) => _recorded.Add(new VictimRecorded(id));
}
