using System.Collections.Immutable;
using Ops.Core.Capabilities;
using Ops.Core.Envelopes;

namespace Ops.Core.Packs.Install;

/// <summary>The installed packs folded from core.PackInstalled and core.PackRemoved: what the loader may load.</summary>
internal static class InstalledPacks
{
    public static ImmutableDictionary<string, PackInstalled> Empty { get; } = ImmutableDictionary.Create<string, PackInstalled>(StringComparer.Ordinal);

    public static ImmutableDictionary<string, ContractBinding> NoContracts { get; } = ImmutableDictionary.Create<string, ContractBinding>(StringComparer.Ordinal);

    /// <summary>Folds one core event; any other event leaves the state as it is.</summary>
    public static CoreState Apply(CoreState state, EventEnvelope e)
    {
        switch (e.EventType)
        {
            case PackInstallNames.PackInstalled:
                var installed = e.PayloadAs<PackInstalled>();
                return state with { Packs = state.Packs.SetItem(installed.PackId, installed), Contracts = Bind(state.Contracts, installed) };
            case PackInstallNames.PackRemoved:
                var removed = e.PayloadAs<PackRemoved>();
                return state with { Packs = state.Packs.Remove(removed.PackId), Contracts = Unbind(state.Contracts, removed.PackId, keep: []) };
            default:
                return state;
        }
    }

    /// <summary>
    /// The pack bound as exporter of <paramref name="contract"/>, if any. Bindings follow log order: the first pack recorded
    /// as exporting a name keeps it until it is removed or stops exporting it, whatever a later record says (issue 16 item 4).
    /// </summary>
    public static ContractBinding? ExporterOf(CoreState core, string contract) => core.Contracts.GetValueOrDefault(contract);

    private static ImmutableDictionary<string, ContractBinding> Bind(ImmutableDictionary<string, ContractBinding> contracts, PackInstalled installed)
    {
        // An upgrade that stops exporting a name releases it.
        var next = Unbind(contracts, installed.PackId, keep: installed.Exports);
        foreach (var name in installed.Exports)
        {
            if (next.TryGetValue(name, out var bound) && bound.ExporterPackId != installed.PackId)
            {
                // A second exporter in the log (a record older than the install check, or written around it): the first stays bound.
                continue;
            }

            var record = installed.Contracts?.FirstOrDefault(c => c.Name == name);
            next = next.SetItem(name, new ContractBinding(name, installed.PackId, record?.Version, record?.Sha256, record?.Path));
        }

        return next;
    }

    private static ImmutableDictionary<string, ContractBinding> Unbind(ImmutableDictionary<string, ContractBinding> contracts, string packId, IReadOnlyList<string> keep) =>
        contracts.RemoveRange(contracts.Values.Where(b => b.ExporterPackId == packId && !keep.Contains(b.Name, StringComparer.Ordinal)).Select(b => b.Name));
}
