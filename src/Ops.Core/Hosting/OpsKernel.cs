using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Ops.Core.Commands;
using Ops.Core.Connectors;
using Ops.Core.Log;
using Ops.Core.Packs;
using Ops.Core.Projections;
using Ops.Core.Routing;
using Ops.Core.Secrets;
using Ops.Core.Storage;

namespace Ops.Core.Hosting;

/// <summary>
/// The running kernel: routes validated, databases migrated, the single log writer, the gateway,
/// projections and connectors. The worker and the admin CLI both open one; tests too.
/// </summary>
internal sealed class OpsKernel : IAsyncDisposable
{
    private readonly Dictionary<string, IStorageEngine> _engines = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IStorageEngine> _byKind = new(StringComparer.Ordinal);

    private OpsKernel(KernelOptions options, Log.Checkpoints.CheckpointOptions checkpoints, Egress.EgressOptions egress, RoutingRegistry routes, KernelRegistry registry, IConfiguration opsSection, TimeProvider time, ILoggerFactory loggerFactory, string contentRoot)
    {
        Options = options;
        Routes = routes;
        Registry = registry;
        Time = time;
        var requiredKinds = RoutingRegistry.CoreKinds.Concat(registry.Projections.Values.Select(p => p.ResourceKind));
        routes.EnsureRouted(requiredKinds);
        var logger = loggerFactory.CreateLogger("Ops.Core");
        foreach (var route in routes.All)
        {
            if (route.IsLab)
            {
                CoreLog.LabRoute(logger, route.ResourceKind, route.Label);
            }

            var key = route.Provider + "|" + route.ConnectionString;
            if (!_engines.TryGetValue(key, out var engine))
            {
                engine = routes.Providers.Open(route, new StorageContext(options.Synchronous, time));
                engine.Migrate();
                _engines[key] = engine;
            }

            _byKind[route.ResourceKind] = engine;
        }

        EventLog = new KernelEventLog(EngineFor("event_log"));
        Writer = new LogWriter(EventLog.Engine, time, logger);
        CoreReader = new CoreStateReader(EventLog.Store, Writer);
        Projections = new ProjectionEngine(registry, EventLog.Store, kind => EngineFor(kind).Projections, time, logger, new ProjectionParking(CoreReader.CurrentAsync, Writer, options.Mode));
        Safety = new Safety.SafetyRecorder(Writer, options.Mode, time);
        Queries = new QueryRunner(registry, Projections, kind => EngineFor(kind).Projections, CoreReader, Safety, options, time, logger);
        Gateway = new CommandGateway(registry, Writer, Projections, Queries.ReaderFor, options, Safety, time, loggerFactory.CreateLogger<CommandGateway>());
        Secrets = new SecretsProvider(opsSection, time);
        Connectors = new ConnectorRunner(registry, Writer, CoreReader, EventLog.Store, Secrets, Safety, options, time, logger);
        Checkpoints = new Log.Checkpoints.CheckpointService(EventLog.Store, Writer, checkpoints, options.Mode, contentRoot, time);
        Egress = new Egress.EgressGate(Writer, EventLog.Engine.Outbox, registry, egress, options.Mode, time, logger);
        EgressDispatcher = new Egress.EgressDispatcher(Egress, Secrets, time, logger);
        Operations = new Egress.EgressOperations(Egress, EgressDispatcher, CoreReader, Safety, time);
    }

    public KernelOptions Options { get; }

    public RoutingRegistry Routes { get; }

    public KernelRegistry Registry { get; }

    public TimeProvider Time { get; }

    public KernelEventLog EventLog { get; }

    public LogWriter Writer { get; }

    public ICommandGateway Gateway { get; }

    public ProjectionEngine Projections { get; }

    /// <summary>Runs queries with readers scoped to the caller's tenant and mode (seed 001).</summary>
    public QueryRunner Queries { get; }

    public SecretsProvider Secrets { get; }

    public ConnectorRunner Connectors { get; }

    /// <summary>Kernel state as of the log's head, including appends by other processes: for authentication and reads.</summary>
    public CoreStateReader CoreReader { get; }

    /// <summary>Appends refusals to the safety stream (seed 001), rate-limited and coalesced.</summary>
    public Safety.SafetyRecorder Safety { get; }

    /// <summary>Signed checkpoints of the log's head, kept outside the database (issue 7 item 5).</summary>
    public Log.Checkpoints.CheckpointService Checkpoints { get; }

    /// <summary>Validates routes (throws <see cref="RouteMissingException"/>), migrates every routed database and opens the writer.</summary>
    /// <summary>The egress gate: approvals, holds, kill switches, quotas, claims (constitution A5).</summary>
    public Egress.EgressGate Egress { get; }

    /// <summary>This process's egress dispatcher.</summary>
    public Egress.EgressDispatcher EgressDispatcher { get; }

    /// <summary>The public face of egress for operators.</summary>
    public Egress.EgressOperations Operations { get; }

    public static OpsKernel Open(IConfiguration configuration, KernelRegistry registry, StorageProviders providers, TimeProvider time, ILoggerFactory loggerFactory, string contentRoot)
    {
        var opsSection = configuration.GetSection("Ops");
        var options = new KernelOptions();
        opsSection.Bind(options);
        var checkpoints = new Log.Checkpoints.CheckpointOptions();
        opsSection.GetSection("Checkpoints").Bind(checkpoints);

        var errors = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        var egress = new Egress.EgressOptions();
        opsSection.GetSection("Egress").Bind(egress);
        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(egress, new(egress), errors, validateAllProperties: true);
        foreach (var destination in egress.Destinations.Values)
        {
            System.ComponentModel.DataAnnotations.Validator.TryValidateObject(destination, new(destination), errors, validateAllProperties: true);
        }
        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(checkpoints, new(checkpoints), errors, validateAllProperties: true);
        if (!System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), errors, validateAllProperties: true) || errors.Count > 0)
        {
            throw new Errors.OpsException(Errors.ReasonCodes.ConfigurationInvalid, "Invalid configuration: " + string.Join(" ", errors.Select(e => e.ErrorMessage)) + " Nothing was started.");
        }

        var routes = new RoutingRegistry(opsSection, options.Mode, contentRoot, providers);
        return new OpsKernel(options, checkpoints, egress, routes, registry, opsSection, time, loggerFactory, contentRoot);
    }

    /// <summary>The engine a resource kind is routed to.</summary>
    /// <exception cref="RouteMissingException">The kind has no route.</exception>
    public IStorageEngine EngineFor(string resourceKind) =>
        _byKind.TryGetValue(resourceKind, out var engine) ? engine : throw new RouteMissingException([resourceKind]);

    /// <summary>A reader of <paramref name="owner"/>'s projections scoped to <paramref name="caller"/>'s tenant and the host's mode.</summary>
    public async ValueTask<IProjectionReader> ReaderForAsync(string owner, CallerContext caller, CancellationToken cancellationToken) =>
        Queries.ReaderFor(owner, await Queries.AccessForAsync(caller, cancellationToken));

    public async ValueTask DisposeAsync()
    {
        await CoreReader.DisposeAsync();
        await Writer.DisposeAsync();
        foreach (var engine in _engines.Values)
        {
            engine.Dispose();
        }
    }
}
