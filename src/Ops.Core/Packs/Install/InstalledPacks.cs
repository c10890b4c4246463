using System.Collections.Immutable;
using Ops.Core.Capabilities;
using Ops.Core.Envelopes;

namespace Ops.Core.Packs.Install;

/// <summary>The installed packs folded from core.PackInstalled and core.PackRemoved: what the loader may load.</summary>
internal static class InstalledPacks
{
    public static ImmutableDictionary<string, PackInstalled> Empty { get; } = ImmutableDictionary.Create<string, PackInstalled>(StringComparer.Ordinal);

    /// <summary>Folds one core event; any other event leaves the state as it is.</summary>
    public static CoreState Apply(CoreState state, EventEnvelope e) => e.EventType switch
    {
        PackInstallNames.PackInstalled => state with { Packs = state.Packs.SetItem(e.PayloadAs<PackInstalled>().PackId, e.PayloadAs<PackInstalled>()) },
        PackInstallNames.PackRemoved => state with { Packs = state.Packs.Remove(e.PayloadAs<PackRemoved>().PackId) },
        _ => state,
    };

    /// <summary>The installed pack that exports <paramref name="contract"/>, if any.</summary>
    public static PackInstalled? ExporterOf(CoreState core, string contract) =>
        core.Packs.Values.Where(p => p.Exports.Contains(contract, StringComparer.Ordinal)).OrderBy(p => p.PackId, StringComparer.Ordinal).FirstOrDefault();
}
