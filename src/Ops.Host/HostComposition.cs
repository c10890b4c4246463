using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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

    /// <summary>The log's database file when its route is a SQLite file that does not exist yet; null otherwise.</summary>
    public static string? MissingDatabase(IConfiguration configuration, string contentRoot)
    {
        var options = new KernelOptions();
        configuration.GetSection("Ops").Bind(options);
        var route = new Ops.Core.Routing.RoutingRegistry(configuration.GetSection("Ops"), options.Mode, contentRoot).Resolve("event_log");
        if (route.Provider != "sqlite")
        {
            return null;
        }

        var path = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(route.ConnectionString).DataSource;
        return File.Exists(path) ? null : path;
    }

    /// <summary>The folder of the packs shipped beside the executable (<c>Ops:PacksPath</c>), which <c>init</c> installs.</summary>
    public static string PacksDirectory(IConfiguration configuration) =>
        configuration["Ops:PacksPath"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.Combine(AppContext.BaseDirectory, "packs");

    /// <summary>
    /// Composes the kernel the one way (<c>AddOps</c>), adds the installed packs the loader verified and loaded, and returns
    /// the container, the open kernel and the loader. Throws RouteMissingException, InvalidOperationException or OpsException
    /// with an operator-facing message.
    /// </summary>
    public static (OpsKernel Kernel, PackLoader Loader) Open(IConfiguration configuration, ILoggerFactory loggerFactory, string contentRoot)
    {
        var services = new ServiceCollection();
        services.AddSingleton(loggerFactory);
        var loader = AddOps(services, configuration, loggerFactory, contentRoot);

        // The container owns nothing the caller does not: disposing the kernel it returns releases everything.
        var kernel = services.BuildServiceProvider().GetRequiredService<OpsKernel>();
        return (kernel, loader);
    }

    /// <summary>Adds the kernel to <paramref name="services"/> with the packs the log records as installed, verified and loaded.</summary>
    public static PackLoader AddOps(IServiceCollection services, IConfiguration configuration, ILoggerFactory loggerFactory, string contentRoot)
    {
        var ops = services.AddOps(configuration);
        services.Configure<KernelOptions>(o => o.ContentRoot = contentRoot);

        // Only what the log records as installed is loaded, after the same checks as at install.
        var loader = new PackLoader(ops, loggerFactory, new PackVerifier(PackSigningOptions.From(configuration)));
        loader.LoadInstalled(Ops.Core.Packs.Install.InstalledPackReader.Read(configuration, contentRoot), PacksDirectory(configuration));
        services.AddSingleton(loader);
        return loader;
    }
}
