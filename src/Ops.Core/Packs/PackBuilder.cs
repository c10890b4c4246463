using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Naming;

namespace Ops.Core.Packs;

/// <summary>
/// Collects a pack's declarations, checks every name against the pack's namespace, finds the
/// implementing classes in the pack's entry assembly with Scrutor, and binds them. Any violation
/// refuses the whole pack with <see cref="PackLoadException"/>.
/// </summary>
internal sealed class PackBuilder : IPackBuilder
{
    private readonly List<Func<IServiceProvider, EventRegistration>> _events = [];
    private readonly List<Func<IServiceProvider, CommandRegistration>> _commands = [];
    private readonly List<Func<IServiceProvider, ProjectionRegistration>> _projections = [];
    private readonly List<Func<IServiceProvider, QueryRegistration>> _queries = [];
    private readonly List<Func<IServiceProvider, ConnectorRegistration>> _connectors = [];
    private readonly List<string> _errors = [];
    private readonly Assembly _assembly;
    private readonly bool _isCore;
    private LoadedPack? _pack;

    public PackBuilder(string packId, IConfiguration configuration, Assembly assembly, TimeProvider time, ILoggerFactory? loggerFactory, bool isCore = false)
    {
        PackId = packId;
        Configuration = configuration;
        _assembly = assembly;
        _isCore = isCore;
        Services = new ServiceCollection();
        Services.TryAddSingleton(time);
        Services.TryAddSingleton(loggerFactory ?? NullLoggerFactory.Instance);
        Services.TryAdd(ServiceDescriptor.Singleton(typeof(ILogger<>), typeof(Logger<>)));
        Services.TryAddSingleton(configuration);
    }

    public string PackId { get; }

    public IConfiguration Configuration { get; }

    public IServiceCollection Services { get; }

    private string Owner => _isCore ? "core" : PackId;

    public IPackBuilder AddEvent<TPayload>(string eventType, int schemaVersion = 1)
        where TPayload : class
    {
        if (CheckName(eventType) && schemaVersion < 1)
        {
            _errors.Add($"event {eventType} has schema version {schemaVersion}; versions start at 1.");
        }

        _events.Add(_ => new EventRegistration(eventType, schemaVersion, typeof(TPayload), Owner));
        return this;
    }

    public IPackBuilder AddCommand<TCommand>(string commandType, SafetyClass safetyClass, CommandTarget<TCommand> target)
        where TCommand : class => AddCommandCore(commandType, safetyClass, Declared(target), null);

    /// <summary>A core command, whose binding may read kernel state; refused on a pack's builder.</summary>
    public IPackBuilder AddCoreCommand<TCommand>(string commandType, SafetyClass safetyClass, CoreTarget<TCommand> target)
        where TCommand : class
    {
        if (!_isCore)
        {
            _errors.Add($"command {commandType} uses a core target binding; a pack declares CommandTarget.FromTargetRef or FromPayload.");
            return this;
        }

        return AddCommandCore<TCommand>(commandType, safetyClass, target is null ? null : (target.Description, true, target.Bind), null);
    }

    private static (string Description, bool FromPayload, Func<TCommand, TargetContext, TargetBinding> Bind)? Declared<TCommand>(CommandTarget<TCommand>? target)
        where TCommand : class =>
        target is null ? null : (target.Description, target.FromPayloadObject, (c, t) => TargetBinding.Of(target, c, t));

    public IPackBuilder AddEgressCommand<TCommand>(string commandType, string destination, CommandTarget<TCommand> target)
        where TCommand : class
    {
        if (!OpsTypeName.IsValidPackId(destination ?? string.Empty))
        {
            _errors.Add($"egress command {commandType} has destination '{destination}'; use lowercase ([a-z][a-z0-9_]*).");
        }

        return AddCommandCore(commandType, SafetyClass.WriteExternalSideEffect, Declared(target), destination);
    }

    private PackBuilder AddCommandCore<TCommand>(string commandType, SafetyClass safetyClass, (string Description, bool FromPayload, Func<TCommand, TargetContext, TargetBinding> Bind)? declared, string? destination)
        where TCommand : class
    {
        CheckName(commandType);
        if (declared is not { } target)
        {
            _errors.Add($"command {commandType} has no target binding.");
            return this;
        }

        _commands.Add(services =>
        {
            var handler = Single<ICommandHandler<TCommand>>(services, $"command {commandType}");
            return new CommandRegistration(
                commandType,
                Owner,
                safetyClass,
                typeof(TCommand),
                (invocation, ct) => NotInstalled(invocation.Core) is { } removed ? ValueTask.FromResult(removed) : handler.DecideAsync(new KernelCommandContext<TCommand>((TCommand)invocation.Payload, invocation.Envelope, invocation.CommandId, invocation.Scope, invocation.Now, invocation.Streams, invocation.Core, invocation.Projections, invocation.Capability), ct),
                (payload, context) => target.Bind((TCommand)payload, context),
                target.Description)
            {
                TargetFromPayload = target.FromPayload,
                Egress = destination is null ? null : Egress.EgressBinding.For(destination, Single<Egress.IEgressHandler<TCommand>>(services, $"egress command {commandType}")),
            };
        });
        return this;
    }

    public IPackBuilder AddProjection<TDocument>(string projectionName, int version, string resourceKind = "projections", ProjectionTenancy tenancy = ProjectionTenancy.PerTenant)
        where TDocument : class
    {
        CheckName(projectionName);
        if (version < 1)
        {
            _errors.Add($"projection {projectionName} has version {version}; versions start at 1.");
        }

        if (!Enum.IsDefined(tenancy))
        {
            _errors.Add($"projection {projectionName} has tenancy {(int)tenancy}; use ProjectionTenancy.PerTenant or SpansTenants.");
        }

        _projections.Add(services =>
        {
            var projection = Single<IProjection<TDocument>>(services, $"projection {projectionName}");
            return new ProjectionRegistration(
                projectionName,
                version,
                resourceKind,
                Owner,
                tenancy,
                projection.EventTypes.ToHashSet(StringComparer.Ordinal),
                projection.KeyOf,
                (current, e) =>
                {
                    var before = current is null ? null : JsonSerializer.Deserialize<TDocument>(current, OpsJson.Options);
                    var after = projection.Apply(before, e);
                    return after is null ? null : CanonicalJson.SerializeToCanonical(after);
                });
        });
        return this;
    }

    public IPackBuilder AddQuery<TQuery, TResult>(string queryName, string route)
        where TQuery : class
    {
        CheckName(queryName);
        if (string.IsNullOrEmpty(route) || !route.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            _errors.Add($"query {queryName} has route '{route}'; use lowercase letters, digits and dashes.");
        }

        _queries.Add(services =>
        {
            var handler = Single<IQueryHandler<TQuery, TResult>>(services, $"query {queryName}");
            return new QueryRegistration(queryName, Owner, route, async (invocation, ct) =>
            {
                TQuery query;
                try
                {
                    query = invocation.Arguments.Deserialize<TQuery>(OpsJson.Options) ?? throw new JsonException("null arguments");
                }
                catch (JsonException ex)
                {
                    // Told apart here, before the pack's handler runs, so that a JsonException of the handler's own is its fault, not the caller's.
                    throw new Errors.OpsException(Errors.ReasonCodes.BadRequest, $"The query arguments do not fit {queryName}{(ex.Path is { Length: > 0 } path ? " at " + path : string.Empty)}: an argument is missing, unknown, or of the wrong type. Nothing was changed.", ex);
                }

                return await handler.ExecuteAsync(new QueryContext<TQuery>(query, invocation.Actor, invocation.Scope, invocation.Projections), ct);
            });
        });
        return this;
    }

    public IPackBuilder AddConnector<TConnector>(string connectorName)
        where TConnector : class, IConnector
    {
        if (!OpsTypeName.IsValidPackId(connectorName))
        {
            _errors.Add($"connector name '{connectorName}' must be lowercase ([a-z][a-z0-9_]*).");
        }

        Services.TryAddSingleton<TConnector>();
        _connectors.Add(services => new ConnectorRegistration($"{PackId}.{connectorName}", Owner, () => services.GetRequiredService<TConnector>()));
        return this;
    }

    /// <summary>Finds the pack's implementations with Scrutor and binds every declaration to them.</summary>
    public PackRegistrations Build(LoadedPack pack)
    {
        _pack = pack;
        Services.Scan(scan => scan
            .FromAssemblies(_assembly)
            .AddClasses(classes => classes.AssignableToAny(typeof(ICommandHandler<>), typeof(IQueryHandler<,>), typeof(IProjection<>), typeof(Egress.IEgressHandler<>)), publicOnly: false)
            .AsImplementedInterfaces()
            .WithSingletonLifetime());
        if (_errors.Count > 0)
        {
            throw new PackLoadException(PackId, string.Join(" ", _errors));
        }

        var provider = Services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        try
        {
            return new PackRegistrations(
                pack,
                _events.Select(f => f(provider)).ToList(),
                _commands.Select(f => f(provider)).ToList(),
                _projections.Select(f => f(provider)).ToList(),
                _queries.Select(f => f(provider)).ToList(),
                _connectors.Select(f => f(provider)).ToList());
        }
        catch (Exception ex) when (ex is InvalidOperationException or AggregateException)
        {
            throw new PackLoadException(PackId, ex.Message, ex);
        }
    }

    /// <summary>
    /// A pack loaded from its install record decides commands only while the log still records that install,
    /// so <c>packs remove</c> or an upgrade takes effect for commands at once, in every running worker.
    /// </summary>
    private Decision? NotInstalled(Capabilities.CoreState core)
    {
        if (_pack is not { Installed: true } pack)
        {
            return null;
        }

        return core.Packs.TryGetValue(pack.PackId, out var installed) && installed.ContentHash == pack.ContentHash
            ? null
            : Decision.Reject(Errors.ReasonCodes.PackNotInstalled, $"pack '{pack.PackId}' {pack.Version} was removed or replaced since this worker started; nothing was changed. Restart the worker to load what is installed now.");
    }

    private bool CheckName(string name)
    {
        var problem = _isCore
            ? OpsTypeName.Parse(name) switch
            {
                { Problem: { } invalid } => invalid,
                { Name.OwnerKind: TypeNameOwnerKind.Core } => null,
                _ => $"'{name}' is not a core.* name",
            }
            : OpsTypeName.OwnershipProblem(name, PackId);
        if (problem is not null)
        {
            _errors.Add(problem);
        }

        return problem is null;
    }

    private T Single<T>(IServiceProvider services, string what)
        where T : class
    {
        var found = services.GetServices<T>().ToList();
        return found.Count switch
        {
            1 => found[0],
            0 => throw new PackLoadException(PackId, $"{what} has no implementation of {typeof(T).Name} in {_assembly.GetName().Name}."),
            _ => throw new PackLoadException(PackId, $"{what} has {found.Count} implementations of {typeof(T).Name}; keep exactly one."),
        };
    }
}
