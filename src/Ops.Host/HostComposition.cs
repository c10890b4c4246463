using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Ops.Core.Hosting;
using Ops.Core.Packs;
using Ops.Core.Storage;
using Ops.Host.Packs;
using Ops.Storage.PostgreSQL;
using Ops.Storage.Sqlite;
using Ops.Storage.SqlServer;
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

    /// <summary>
    /// The storage providers the worker ships (issue 21 item 1): SQLite (and lab <c>memory</c>), PostgreSQL, SQL Server.
    /// An embedder adds only the one it uses (<c>UseSqlite()</c>).
    /// </summary>
    public static IReadOnlyList<IStorageProvider> StorageProviders { get; } = [new SqliteStorageProvider(), new PostgreSqlStorageProvider(), new SqlServerStorageProvider()];

    /// <summary>The log's database file when its route is a SQLite file that does not exist yet; null otherwise.</summary>
    public static string? MissingDatabase(IConfiguration configuration, string contentRoot) => OpsAdministration.MissingDatabase(StorageProviders, configuration, contentRoot);

    /// <summary>The folder of the packs shipped beside the executable (<c>Ops:PacksPath</c>), which <c>init</c> installs.</summary>
    public static string PacksDirectory(IConfiguration configuration) =>
        configuration["Ops:PacksPath"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.Combine(AppContext.BaseDirectory, "packs");

    /// <summary>
    /// Composes the kernel the one way (<c>AddOps</c>), checks the installed packs and, with <see cref="PackCode.Load"/>,
    /// adds those the loader loaded, and opens it (routes validated, databases migrated). Throws an OpsException (or a
    /// RouteMissingException, a database's exception) with an operator-facing message; <see cref="Edge.EdgeErrors"/> classifies it.
    /// </summary>
    public static OpsSession Open(IConfiguration configuration, ILoggerFactory loggerFactory, string contentRoot, PackCode packCode)
    {
        var services = new ServiceCollection();
        services.AddSingleton(loggerFactory);
        AddOps(services, configuration, loggerFactory, contentRoot, packCode);
        var provider = services.BuildServiceProvider();
        try
        {
            return new OpsSession(provider, provider);
        }
        catch
        {
            provider.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Adds the kernel to <paramref name="services"/> with the packs the log records as installed, checked, and loaded only
    /// when <paramref name="packCode"/> is <see cref="PackCode.Load"/> (issue 16 item 3).
    /// </summary>
    public static PackLoader AddOps(IServiceCollection services, IConfiguration configuration, ILoggerFactory loggerFactory, string contentRoot, PackCode packCode)
    {
        var ops = services.AddOps(configuration);
        foreach (var storage in StorageProviders)
        {
            ops.UseStorage(storage);
        }

        services.Configure<KernelOptions>(o => o.ContentRoot = contentRoot);

        // Only what the log records as installed is loaded, after the same checks as at install.
        var loader = new PackLoader(ops, loggerFactory, new PackVerifier(PackSigningOptions.From(configuration)));
        loader.LoadInstalled(OpsAdministration.ReadInstalledPackSet(StorageProviders, configuration, contentRoot), PacksDirectory(configuration), packCode);
        services.AddSingleton(loader);
        return loader;
    }
}

/// <summary>
/// One open kernel for a CLI command or the worker: Ops.Core's public faces, resolved from the container
/// <c>AddOps</c> filled. Disposing it disposes the container, which closes the kernel.
/// </summary>
internal sealed class OpsSession : IAsyncDisposable
{
    private readonly ServiceProvider? _owned;

    /// <summary>Resolves the faces from <paramref name="services"/>, which opens the kernel; <paramref name="owned"/>, when given, is disposed with the session.</summary>
    public OpsSession(IServiceProvider services, ServiceProvider? owned = null)
    {
        _owned = owned;
        Services = services;
        Runtime = services.GetRequiredService<OpsRuntime>();
        Admin = services.GetRequiredService<OpsAdministration>();
        Gateway = services.GetRequiredService<Ops.Core.Commands.ICommandGateway>();
        Log = services.GetRequiredService<Ops.Core.Log.IEventLog>();
        Egress = services.GetRequiredService<Ops.Core.Egress.EgressOperations>();
        Connectors = services.GetRequiredService<Ops.Core.Connectors.ConnectorControl>();
        Loader = services.GetRequiredService<PackLoader>();
    }

    /// <summary>The container the faces were resolved from.</summary>
    public IServiceProvider Services { get; }

    public OpsRuntime Runtime { get; }

    public OpsAdministration Admin { get; }

    public Ops.Core.Commands.ICommandGateway Gateway { get; }

    public Ops.Core.Log.IEventLog Log { get; }

    public Ops.Core.Egress.EgressOperations Egress { get; }

    public Ops.Core.Connectors.ConnectorControl Connectors { get; }

    public PackLoader Loader { get; }

    public ValueTask DisposeAsync() => _owned?.DisposeAsync() ?? ValueTask.CompletedTask;
}
