using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Commands;
using Ops.Core.Hosting;
using Ops.Core.Log;
using Ops.Core.Packs;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// The kernel's one front door (DESIGN.md §5, issue 8): <c>services.AddOps(configuration).AddPack&lt;NotesPack&gt;()</c>.
/// The worker, an embedder's own service, the tests and the load harness all compose the kernel this way.
/// </summary>
public static class OpsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the kernel: options bound from <c>Ops</c> in <paramref name="configuration"/> and validated when the host
    /// starts (<see cref="KernelOptions"/>), the routed storage engines (<c>Ops:Routes</c>, seed 001: a missing route
    /// stops the start; each route opens through a storage provider added on the returned builder, <c>UseSqlite()</c> from
    /// AlignTrue.Ops.Storage.Sqlite and the like, and none added stops the start with <c>configuration_invalid</c>), the single log writer, the command gateway, projections, and background services that fold
    /// projections after each commit, record capability expiries, sign checkpoints and flush the safety stream. Resolve
    /// <see cref="ICommandGateway"/> (commands), <see cref="OpsRuntime"/> (init, queries) and <see cref="IEventLog"/> to use it, and
    /// <see cref="Ops.Core.Egress.EgressOperations"/> to operate egress (a hosted dispatcher sends approved requests, <c>Ops:Egress</c>).
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The configuration root: <c>Ops</c> (routes, mode, checkpoints), <c>Ops:Packs:&lt;id&gt;</c> (each pack's settings) and <c>Ops:Secrets</c> (read only by the kernel's secrets provider).</param>
    /// <returns>A builder to add packs with.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IOpsBuilder AddOps(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptionsWithValidateOnStart<KernelOptions>().Bind(configuration.GetSection("Ops")).ValidateDataAnnotations();
        var builder = new OpsBuilder(services, configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(builder);
        services.TryAddSingleton(static sp => sp.GetRequiredService<OpsBuilder>().OpenKernel(sp));
        services.TryAddSingleton<ICommandGateway>(static sp => sp.GetRequiredService<OpsKernel>().Gateway);
        services.TryAddSingleton<IEventLog>(static sp => sp.GetRequiredService<OpsKernel>().EventLog);
        services.TryAddSingleton(static sp => new OpsRuntime(sp.GetRequiredService<OpsKernel>()));
        services.TryAddSingleton(static sp => sp.GetRequiredService<OpsKernel>().Operations);
        services.TryAddSingleton(static sp => new OpsAdministration(sp.GetRequiredService<OpsKernel>()));
        services.TryAddSingleton(static sp => new Ops.Core.Connectors.ConnectorControl(sp.GetRequiredService<OpsKernel>()));
        services.AddHostedService<KernelStartup>();
        services.AddHostedService<ProjectionRunner>();
        services.AddHostedService<CapabilityExpiryRecorder>();
        services.AddHostedService<CheckpointScheduler>();
        services.AddHostedService<SafetyFlusher>();
        services.AddHostedService<Ops.Core.Egress.EgressDispatchService>();
        return builder;
    }
}

/// <summary>Adds packs to the kernel <see cref="OpsServiceCollectionExtensions.AddOps"/> added.</summary>
public interface IOpsBuilder
{
    /// <summary>The host's services.</summary>
    IServiceCollection Services { get; }

    /// <summary>The clock of the kernel and of every pack added after this call (default <see cref="TimeProvider.System"/>); tests pass a fake one.</summary>
    /// <param name="time">The clock.</param>
    /// <returns>This builder.</returns>
    IOpsBuilder UseTimeProvider(TimeProvider time);

    /// <summary>
    /// Adds a storage provider (issue 21 item 1): routes naming one of its <see cref="Ops.Core.Storage.IStorageProvider.Names"/>
    /// open its engine. Applications call the provider package's own method instead (<c>UseSqlite()</c> from
    /// AlignTrue.Ops.Storage.Sqlite, <c>UsePostgreSQL()</c>, <c>UseSqlServer()</c>); without a provider the kernel
    /// refuses to start, naming the route. A name two providers answer goes to the first added.
    /// </summary>
    /// <param name="provider">The provider.</param>
    /// <returns>This builder.</returns>
    IOpsBuilder UseStorage(Ops.Core.Storage.IStorageProvider provider);

    /// <summary>
    /// Adds an in-process pack. Its id is <paramref name="packId"/>, or the type's name without a trailing <c>Pack</c>,
    /// lowercased (<c>NotesPack</c> → <c>notes</c>); its settings come from <c>Ops:Packs:&lt;id&gt;</c>.
    /// </summary>
    /// <typeparam name="TPack">The pack's entry type.</typeparam>
    /// <param name="packId">The pack id, <c>[a-z][a-z0-9_]*</c>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="PackLoadException">The pack registers a name outside <c>pack.&lt;id&gt;.</c>, a name already taken, or a handler is missing; nothing of it was added.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0027:API with optional parameter(s) should have the most parameters amongst its public overloads", Justification = "A generic overload that creates the pack, beside the instance overload the loader uses; neither grew from the other.")]
    IOpsBuilder AddPack<TPack>(string? packId = null)
        where TPack : IOpsPack, new();

    /// <summary>Adds a pack instance with its identity (the worker's loader uses this for packs it loaded from their installed folders).</summary>
    /// <param name="pack">The pack's entry object.</param>
    /// <param name="info">Its id, version, content hash and contracts.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="PackLoadException">As for <see cref="AddPack{TPack}"/>; nothing of the pack was added.</exception>
    IOpsBuilder AddPack(IOpsPack pack, OpsPackInfo info);
}

/// <summary>A pack's identity as the kernel records it (constitution A7: content-addressed, semver).</summary>
/// <param name="PackId">The pack id, <c>[a-z][a-z0-9_]*</c>.</param>
/// <param name="Version">Its semver.</param>
/// <param name="ContentHash">SHA-256 (64 hex) of its installed folder; empty for an in-process pack.</param>
/// <param name="Directory">Its installed folder; empty for an in-process pack.</param>
/// <param name="Exports">Contract assemblies it exports.</param>
/// <param name="DependsOn">Contract assemblies of other packs it depends on.</param>
/// <param name="Installed">Whether the log records it as installed (<c>core.PackInstalled</c>); its commands are then refused once it is removed. False for an in-process pack.</param>
public sealed record OpsPackInfo(string PackId, string Version, string ContentHash, string Directory, IReadOnlyList<string> Exports, IReadOnlyList<string> DependsOn, bool Installed = false);

/// <summary>The builder behind <see cref="IOpsBuilder"/>: collects packs into the registry the kernel opens with.</summary>
internal sealed class OpsBuilder(IServiceCollection services, IConfiguration configuration) : IOpsBuilder
{
    private readonly DeferredLoggerFactory _loggers = new();

    public IServiceCollection Services { get; } = services;

    public IConfiguration Configuration { get; } = configuration;

    public TimeProvider Time { get; private set; } = TimeProvider.System;

    /// <summary>Core's registrations and every pack added so far.</summary>
    public KernelRegistry Registry { get; private set; } = KernelRegistryFactory.CreateWithCore(TimeProvider.System, null);

    public IOpsBuilder UseTimeProvider(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (Registry.Packs.Count > 1)
        {
            throw new Ops.Core.Errors.OpsException(Ops.Core.Errors.ReasonCodes.ConfigurationInvalid, "Call UseTimeProvider before AddPack: packs already added keep the clock they were added with. The clock was not changed.");
        }

        Time = time;
        Registry = KernelRegistryFactory.CreateWithCore(time, _loggers);
        Services.Replace(ServiceDescriptor.Singleton(time));
        return this;
    }

    public IOpsBuilder UseStorage(Ops.Core.Storage.IStorageProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        Services.AddSingleton(provider);
        return this;
    }

    public IOpsBuilder AddPack<TPack>(string? packId = null)
        where TPack : IOpsPack, new()
    {
        var id = packId ?? DefaultPackId(typeof(TPack));
        return AddPack(new TPack(), new OpsPackInfo(id, typeof(TPack).Assembly.GetName().Version?.ToString(3) ?? "0.0.0", string.Empty, string.Empty, [], []));
    }

    public IOpsBuilder AddPack(IOpsPack pack, OpsPackInfo info)
    {
        ArgumentNullException.ThrowIfNull(pack);
        ArgumentNullException.ThrowIfNull(info);
        KernelRegistryFactory.AddPack(Registry, pack, new LoadedPack(info.PackId, info.Version, info.ContentHash, info.Directory, info.Exports, info.DependsOn, info.Installed), Configuration, Time, _loggers);
        return this;
    }

    /// <summary>Opens the kernel on first resolution: routes validated, engines migrated, the writer started.</summary>
    public OpsKernel OpenKernel(IServiceProvider services)
    {
        var loggers = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        _loggers.Target = loggers;
        var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<KernelOptions>>().Value;
        var contentRoot = options.ContentRoot ?? services.GetService<IHostEnvironment>()?.ContentRootPath ?? System.IO.Directory.GetCurrentDirectory();
        return OpsKernel.Open(Configuration, Registry, new Ops.Core.Routing.StorageProviders(services.GetServices<Ops.Core.Storage.IStorageProvider>()), Time, loggers, contentRoot);
    }

    internal static string DefaultPackId(Type type)
    {
        var name = type.Name.EndsWith("Pack", StringComparison.Ordinal) ? type.Name[..^4] : type.Name;
        return name.ToLowerInvariant();
    }

    /// <summary>Packs are added before the container exists; their loggers reach the host's factory once it does.</summary>
    private sealed class DeferredLoggerFactory : ILoggerFactory
    {
        public ILoggerFactory? Target { get; set; }

        public ILogger CreateLogger(string categoryName) => new DeferredLogger(this, categoryName);

        public void AddProvider(ILoggerProvider provider) => Target?.AddProvider(provider);

        public void Dispose()
        {
            // The host owns the target factory.
        }

        private sealed class DeferredLogger(DeferredLoggerFactory owner, string category) : ILogger
        {
            private ILogger? _logger;

            private ILogger Logger => _logger ??= owner.Target?.CreateLogger(category) ?? NullLogger.Instance;

            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => Logger.BeginScope(state);

            public bool IsEnabled(LogLevel logLevel) => Logger.IsEnabled(logLevel);

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                Logger.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
