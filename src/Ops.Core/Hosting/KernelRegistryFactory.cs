using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Ops.Core.Capabilities;
using Ops.Core.Packs;

namespace Ops.Core.Hosting;

/// <summary>Creates a registry holding Core's own commands and events, ready for packs to be added.</summary>
internal static class KernelRegistryFactory
{
    public static KernelRegistry CreateWithCore(TimeProvider time, ILoggerFactory? loggerFactory)
    {
        var registry = new KernelRegistry();
        var builder = new PackBuilder("core", new ConfigurationBuilder().Build(), typeof(CoreCommands).Assembly, time, loggerFactory, isCore: true);
        CoreCommands.Register(builder);
        Consent.ConsentCommands.Register(builder);
        Packs.Install.PackInstallCommands.Register(builder);
        Log.Checkpoints.CheckpointEventTypes.Register(builder);
        Connectors.ConnectorEventTypes.Register(builder);
        Egress.EgressEventTypes.Register(builder);
        registry.Add(builder.Build(LoadedPack.Core));
        return registry;
    }

    /// <summary>Registers an in-process pack (used by tests and embedders; the host loads packs from folders).</summary>
    public static void AddPack(KernelRegistry registry, IOpsPack pack, LoadedPack info, IConfiguration configuration, TimeProvider time, ILoggerFactory? loggerFactory)
    {
        var builder = new PackBuilder(info.PackId, configuration.GetSection($"Ops:Packs:{info.PackId}"), pack.GetType().Assembly, time, loggerFactory);
        pack.Register(builder);
        registry.Add(builder.Build(info));
    }
}
