using Microsoft.Extensions.Configuration;
using Ops.Core.Hosting;
using Ops.Core.Packs;
using Ops.Host.Packs;
using Ops.Verification;

namespace Ops.Host;

/// <summary>What the worker and the CLI both need: configuration, packs and an open kernel.</summary>
internal static class HostComposition
{
    /// <summary>Configuration: appsettings.json beside the executable, then environment variables, then the given overrides.</summary>
    public static IConfigurationRoot BuildConfiguration(IEnumerable<KeyValuePair<string, string?>>? overrides = null) =>
        new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(overrides ?? [])
            .Build();

    /// <summary>The folder of the packs shipped beside the executable (<c>Ops:PacksPath</c>), which <c>init</c> installs.</summary>
    public static string PacksDirectory(IConfiguration configuration) =>
        configuration["Ops:PacksPath"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.Combine(AppContext.BaseDirectory, "packs");

    /// <summary>Loads packs and opens the kernel; throws RouteMissingException or InvalidOperationException with an operator-facing message.</summary>
    public static (OpsKernel Kernel, PackLoader Loader) Open(IConfiguration configuration, ILoggerFactory loggerFactory, string contentRoot)
    {
        var time = TimeProvider.System;
        var registry = KernelRegistryFactory.CreateWithCore(time, loggerFactory);
        // Only what the log records as installed is loaded, after the same checks as at install.
        var loader = new PackLoader(registry, configuration, time, loggerFactory, new PackVerifier(PackSigningOptions.From(configuration)));
        loader.LoadInstalled(Ops.Core.Packs.Install.InstalledPackReader.Read(configuration, contentRoot), PacksDirectory(configuration));
        return (OpsKernel.Open(configuration, registry, time, loggerFactory, contentRoot), loader);
    }
}
