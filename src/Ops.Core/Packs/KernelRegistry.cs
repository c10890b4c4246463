using System.Text.Json;
using Ops.Core.Envelopes;

namespace Ops.Core.Packs;

/// <summary>Everything registered by Core and the loaded packs, by name. Filled at start, read-only afterwards.</summary>
internal sealed class KernelRegistry
{
    private readonly Dictionary<string, CommandRegistration> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EventRegistration> _eventsByName = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, EventRegistration> _eventsByType = [];
    private readonly Dictionary<string, ProjectionRegistration> _projections = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QueryRegistration> _queries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ConnectorRegistration> _connectors = new(StringComparer.Ordinal);
    private readonly List<LoadedPack> _packs = [];

    public IReadOnlyDictionary<string, CommandRegistration> Commands => _commands;

    public IReadOnlyDictionary<string, ProjectionRegistration> Projections => _projections;

    public IReadOnlyDictionary<string, QueryRegistration> Queries => _queries;

    public IReadOnlyDictionary<string, ConnectorRegistration> Connectors => _connectors;

    public IReadOnlyDictionary<string, EventRegistration> Events => _eventsByName;

    public IReadOnlyList<LoadedPack> Packs => _packs;

    public bool TryGetEvent(Type payloadType, out EventRegistration registration) => _eventsByType.TryGetValue(payloadType, out registration!);

    /// <summary>Adds a whole pack's registrations, or none of them when any name is taken.</summary>
    public void Add(PackRegistrations registrations)
    {
        var taken = registrations.Commands.Select(c => c.Name).Where(_commands.ContainsKey)
            .Concat(registrations.Events.Select(e => e.Name).Where(_eventsByName.ContainsKey))
            .Concat(registrations.Projections.Select(p => p.Name).Where(_projections.ContainsKey))
            .Concat(registrations.Queries.Select(q => q.Key).Where(_queries.ContainsKey))
            .Concat(registrations.Connectors.Select(c => c.Id).Where(_connectors.ContainsKey))
            .ToList();
        if (taken.Count > 0)
        {
            throw new PackLoadException(registrations.Pack.PackId, $"names already registered by another pack: {string.Join(", ", taken)}.");
        }

        var invisible = InvisibleSubscriptions(registrations);
        if (invisible.Count > 0)
        {
            throw new PackLoadException(registrations.Pack.PackId, string.Join(" ", invisible));
        }

        foreach (var e in registrations.Events)
        {
            _eventsByName.Add(e.Name, e);
            _eventsByType.TryAdd(e.PayloadType, e);
        }

        foreach (var c in registrations.Commands)
        {
            _commands.Add(c.Name, c);
        }

        foreach (var p in registrations.Projections)
        {
            _projections.Add(p.Name, p);
        }

        foreach (var q in registrations.Queries)
        {
            _queries.Add(q.Key, q);
        }

        foreach (var c in registrations.Connectors)
        {
            _connectors.Add(c.Id, c);
        }

        _packs.Add(registrations.Pack);
    }

    /// <summary>
    /// Event visibility (constitution §1: events are private by default, public through a contract module,
    /// and consumers declare the dependency). A pack's projection may fold its own events, and events whose
    /// payload type lives in a contract assembly the pack lists in depends_on; nothing else, core's included.
    /// Packs are added in dependency order, so the owner of a visible event is registered first.
    /// </summary>
    private List<string> InvisibleSubscriptions(PackRegistrations registrations)
    {
        var pack = registrations.Pack;
        if (pack.PackId == LoadedPack.Core.PackId)
        {
            return [];
        }

        var problems = new List<string>();
        foreach (var projection in registrations.Projections)
        {
            foreach (var eventType in projection.EventTypes.Order(StringComparer.Ordinal))
            {
                if (Naming.OpsTypeName.OwnershipProblem(eventType, pack.PackId) is null)
                {
                    continue;
                }

                if (_eventsByName.TryGetValue(eventType, out var registered))
                {
                    var contract = registered.PayloadType.Assembly.GetName().Name ?? string.Empty;
                    if (pack.DependsOn.Contains(contract, StringComparer.Ordinal))
                    {
                        continue;
                    }

                    problems.Add(contract.EndsWith(".Contracts", StringComparison.Ordinal)
                        ? $"projection {projection.Name} subscribes to {eventType} of '{registered.Owner}' without depending on its contract module: add {contract} to depends_on in pack.json."
                        : $"projection {projection.Name} subscribes to {eventType} of '{registered.Owner}', whose payload is not in a contract module: that event is private to '{registered.Owner}'.");
                    continue;
                }

                problems.Add($"projection {projection.Name} subscribes to {eventType}, which no pack it depends on registers: a pack sees only its own events and those exported by the contract modules in its depends_on.");
            }
        }

        return problems;
    }
}

/// <summary>A loaded pack as <c>packs list</c> and <c>GET /v1/packs</c> show it.</summary>
/// <param name="PackId">The pack id.</param>
/// <param name="Version">Semver.</param>
/// <param name="ContentHash">SHA-256 over its folder (empty for packs composed in code).</param>
/// <param name="Directory">The folder it was loaded from.</param>
/// <param name="Exports">Contract modules it exports.</param>
/// <param name="DependsOn">Contract modules it depends on; its projections may fold only their events besides its own.</param>
/// <param name="Installed">Loaded from a folder because the log records its install (core.PackInstalled with this
/// <paramref name="ContentHash"/>); its commands decide only while that install stands. False for packs composed in code.</param>
internal sealed record LoadedPack(string PackId, string Version, string ContentHash, string Directory, IReadOnlyList<string> Exports, IReadOnlyList<string> DependsOn, bool Installed = false)
{
    public static LoadedPack Core { get; } = new("core", typeof(LoadedPack).Assembly.GetName().Version?.ToString(3) ?? "0.0.0", "", "", [], []);
}

/// <summary>All registrations of one pack, validated and bound to its services.</summary>
internal sealed record PackRegistrations(
    LoadedPack Pack,
    IReadOnlyList<EventRegistration> Events,
    IReadOnlyList<CommandRegistration> Commands,
    IReadOnlyList<ProjectionRegistration> Projections,
    IReadOnlyList<QueryRegistration> Queries,
    IReadOnlyList<ConnectorRegistration> Connectors);

internal sealed record EventRegistration(string Name, int SchemaVersion, Type PayloadType, string Owner);

internal delegate ValueTask<Decision> DecideDelegate(CommandInvocation invocation, CancellationToken cancellationToken);

internal sealed record CommandInvocation(object Payload, CommandEnvelope Envelope, string CommandId, IdentityScope Scope, DateTimeOffset Now, IStreamReader Streams, Capabilities.CoreState Core, IProjectionReader Projections, Capabilities.CapabilityDecision? Capability);

internal sealed record CommandRegistration(string Name, string Owner, SafetyClass SafetyClass, Type PayloadType, DecideDelegate Decide, Func<object, TargetContext, TargetBinding> Bind, string TargetDescription)
{
    /// <summary>Prefix of every stream this owner's commands append to: <c>pack.&lt;id&gt;:</c> or <c>core:</c>.</summary>
    public string StreamPrefix => StreamPrefixOf(Owner);

    public static string StreamPrefixOf(string owner) => owner == "core" ? "core:" : $"pack.{owner}:";

    /// <summary>Whether the kernel derives target_ref from the payload (core bindings and <see cref="CommandTarget{TCommand}.FromPayload"/>).</summary>
    public bool TargetFromPayload { get; init; }

    /// <summary>For a WRITE_EXTERNAL_SIDE_EFFECT command registered with <see cref="IPackBuilder.AddEgressCommand"/>: its destination and handler.</summary>
    public Egress.EgressBinding? Egress { get; init; }
}

internal sealed record ProjectionRegistration(
    string Name,
    int Version,
    string ResourceKind,
    string Owner,
    ProjectionTenancy Tenancy,
    IReadOnlySet<string> EventTypes,
    Func<EventEnvelope, string?> KeyOf,
    Func<byte[]?, EventEnvelope, byte[]?> Apply);

internal sealed record QueryInvocation(JsonElement Arguments, ActorRef Actor, IdentityScope Scope, IProjectionReader Projections);

internal sealed record QueryRegistration(string Name, string Owner, string Route, Func<QueryInvocation, CancellationToken, ValueTask<object?>> Execute)
{
    public string Key => QueryKey(Owner, Route);

    public static string QueryKey(string owner, string route) => owner + "/" + route;
}

internal sealed record ConnectorRegistration(string Id, string Owner, Func<IConnector> Create);
