using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Capabilities;
using Ops.Core.Commands.Pipeline;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Core.Packs;

namespace Ops.Testing;

/// <summary>
/// Given/When/Then over one pack, in memory: no database, no worker, no consent. The pack registers
/// through the kernel's own builder (names checked against <c>pack.&lt;pack_id&gt;.</c>, handlers,
/// projections and queries found in its assembly as the host finds them), and a command goes through
/// the kernel's own payload validation and target binding before its handler decides.
/// <para>
/// <b>Given</b> events on the pack's streams (<see cref="Given"/>); <b>when</b> a command
/// (<see cref="WhenAsync"/>); <b>then</b> the events it would append, or its rejection
/// (<see cref="SpecOutcome.ThenEvents"/>, <see cref="SpecOutcome.ThenRejected"/>). The events of an accepted
/// command join the spec's streams, so the next command sees them. Projections fold every event of the
/// spec as the kernel does, per tenant and mode (<see cref="DocumentAsync{TDocument}"/>,
/// <see cref="ThenDocumentAsync{TDocument}"/>), and queries run over those documents (<see cref="QueryAsync{TResult}"/>).
/// </para>
/// <para>
/// What it leaves out: capabilities, consent and the log's guarantees are the kernel's, so a spec neither
/// authorizes nor signs nor checks that the streams a decision appends to are covered by a capability;
/// use <see cref="KernelHarness"/> for a real kernel on SQLite. A spec decides one pack's commands; the packs whose
/// contracts it depends on can be registered beside it (<c>dependencies</c>) so its projections fold their exported
/// events. Not thread-safe: one spec per test.
/// </para>
/// </summary>
public sealed class PackSpec
{
    /// <summary>The tenant of the default caller.</summary>
    public const string DefaultTenant = "acme";

    /// <summary>The host mode every spec runs in.</summary>
    public const string Mode = "system";

    private const string GivenSource = "spec:given";

    private readonly KernelRegistry _registry;
    private readonly PackRegistrations _pack;
    private readonly List<EventEnvelope> _events = [];
    private readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<string> _dependsOn;

    /// <summary>Registers <paramref name="pack"/> under <paramref name="packId"/>, as the host does at load.</summary>
    /// <param name="pack">The pack's entry type, as its manifest names it.</param>
    /// <param name="packId">The manifest's <c>pack_id</c>.</param>
    /// <param name="configuration">The pack's settings (the host's section <c>Ops:Packs:&lt;pack_id&gt;</c>), keys relative to it, for example <c>BaseUrl</c>; none by default.</param>
    /// <param name="time">The clock; a <see cref="ManualTimeProvider"/> at its default start when omitted.</param>
    /// <param name="dependencies">The packs that export the contract modules this pack depends on, each with its pack id, registered first as the worker loads them (issue 16 item 8); their events may then be given (<see cref="Given"/>) and folded by this pack's projections. Exports and depends_on come from the pack.json beside each assembly, or by convention (<see cref="KernelHarness"/>).</param>
    /// <exception cref="PackLoadException">The host would refuse the pack at load: a name outside its namespace, a missing or duplicate handler, an invalid route, a projection over events of a contract module it does not depend on or that no dependency exports.</exception>
    public PackSpec(IOpsPack pack, string packId, IReadOnlyDictionary<string, string?>? configuration = null, ManualTimeProvider? time = null, IReadOnlyList<(string PackId, IOpsPack Pack)>? dependencies = null)
    {
        ArgumentNullException.ThrowIfNull(pack);
        ArgumentException.ThrowIfNullOrEmpty(packId);
        PackId = packId;
        Time = time ?? new ManualTimeProvider();
        var settings = (configuration ?? new Dictionary<string, string?>()).ToDictionary(kv => $"Ops:Packs:{packId}:{kv.Key}", kv => kv.Value, StringComparer.Ordinal);
        var root = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        _registry = KernelRegistryFactory.CreateWithCore(Time, NullLoggerFactory.Instance);
        foreach (var (id, dependency, exports, dependsOn) in PackDeclarations.InLoadOrder(dependencies ?? []))
        {
            _registry.Add(Build(dependency, id, root, exports, dependsOn));
        }

        var (ownExports, ownDependsOn) = PackDeclarations.Of(pack);
        _pack = Build(pack, packId, root, ownExports, ownDependsOn);
        _dependsOn = ownDependsOn;
        _registry.Add(_pack);
        As("alice");
    }

    /// <summary>The pack id the spec registered the pack under.</summary>
    public string PackId { get; }

    /// <summary>The clock: a command is decided at its current instant and given events occur at it. Advance it between steps.</summary>
    public ManualTimeProvider Time { get; }

    /// <summary>Who sends the next command or query; <c>alice</c> (human) by default. Change it with <see cref="As"/>.</summary>
    public ActorRef Caller { get; private set; } = new("alice", ActorKind.Human);

    /// <summary>The server-derived scope of the caller: tenant <see cref="DefaultTenant"/> unless <see cref="As"/> said otherwise, mode <see cref="Mode"/>, user the caller, surface <c>test</c>.</summary>
    public IdentityScope Scope { get; private set; } = new(DefaultTenant, Mode, "alice", "test");

    /// <summary>Every event of the spec in the order it joined: given ones and those of accepted commands.</summary>
    public IReadOnlyList<EventEnvelope> Events => _events;

    /// <summary>Acts as another actor from now on (the scope is what the kernel would derive for it).</summary>
    /// <param name="actorId">The actor id, also the scope's user_id.</param>
    /// <param name="kind">Human, service or agent.</param>
    /// <param name="tenantId">The actor's tenant.</param>
    /// <returns>This spec.</returns>
    public PackSpec As(string actorId, ActorKind kind = ActorKind.Human, string tenantId = DefaultTenant)
    {
        ArgumentException.ThrowIfNullOrEmpty(actorId);
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        Caller = new ActorRef(actorId, kind);
        Scope = new IdentityScope(tenantId, Mode, actorId, "test");
        return this;
    }

    /// <summary>
    /// Given: these events happened on one of the pack's streams, in this order, at <see cref="Time"/>'s instant,
    /// in the caller's scope. Each payload must be a type the pack registered with <c>AddEvent</c>, or one exported by a
    /// contract module it depends on (then the stream is the exporting pack's).
    /// </summary>
    /// <param name="streamKey">The stream key local to the event's pack, as a handler names it (for example <c>item-42</c>, usually a target_ref).</param>
    /// <param name="events">Event payload records.</param>
    /// <returns>This spec.</returns>
    /// <exception cref="ArgumentException">A payload's type is neither an event the pack registered nor one a contract module in its depends_on exports.</exception>
    public PackSpec Given(string streamKey, params object[] events)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamKey);
        ArgumentNullException.ThrowIfNull(events);
        foreach (var payload in events)
        {
            ArgumentNullException.ThrowIfNull(payload, nameof(events));
            var registration = GivenEventOf(payload);
            Append(streamKey, registration, JsonSerializer.SerializeToElement(payload, payload.GetType(), OpsJson.Options), GivenSource, null, registration.Owner);
        }

        return this;
    }

    /// <summary>
    /// When: the caller sends a command. It is validated and bound as the kernel does (an unknown or missing
    /// payload member, a target_ref the binding refuses), then the pack's handler decides against the spec's
    /// streams and documents at <see cref="Time"/>'s instant. Nothing is signed. An accepted decision with one
    /// interpretation appends its events to the spec's streams.
    /// </summary>
    /// <typeparam name="TCommand">The payload type; serialized as a client would send it.</typeparam>
    /// <param name="commandType">The registered command type, for example <c>pack.acme.items.CreateItem</c>.</param>
    /// <param name="targetRef">The client's target_ref, or <see langword="null"/> for a command whose payload names its object.</param>
    /// <param name="command">The payload.</param>
    /// <param name="idempotencyKey">The client's idempotency key, which the command_id derives from when given.</param>
    /// <param name="cancellationToken">Cancels the decision.</param>
    /// <returns>What the kernel would answer, with assertions.</returns>
    /// <exception cref="PackSpecException">The handler broke a rule the kernel enforces: it emitted an event type its pack did not register.</exception>
    public async Task<SpecOutcome> WhenAsync<TCommand>(string commandType, string? targetRef, TCommand command, string? idempotencyKey = null, CancellationToken cancellationToken = default)
        where TCommand : class
    {
        ArgumentException.ThrowIfNullOrEmpty(commandType);
        ArgumentNullException.ThrowIfNull(command);
        var envelope = new CommandEnvelope
        {
            CommandType = commandType,
            TargetRef = targetRef,
            Payload = JsonSerializer.SerializeToElement(command, command.GetType(), OpsJson.Options),
            IdempotencyKey = idempotencyKey,
        };
        var validated = ValidateStage.Run(_registry, envelope);
        if (validated.Rejection is { } invalid)
        {
            return SpecOutcome.Rejected(commandType, invalid.Code, invalid.Message);
        }

        var registration = validated.Value!.Registration;
        if (registration.Owner != PackId)
        {
            return SpecOutcome.Rejected(commandType, ReasonCodes.UnknownCommandType, $"{commandType} is not a command of pack '{PackId}'.");
        }

        var targetForId = registration.TargetFromPayload ? string.Empty : targetRef ?? string.Empty;
        var commandId = DeterministicIds.CommandId(Scope.TenantId, Caller.Id, commandType, targetForId, envelope.Payload, idempotencyKey);
        var target = TargetStage.Run(validated.Value, envelope, commandId, CoreState.Empty);
        if (target.Rejection is { } unbound)
        {
            return SpecOutcome.Rejected(commandType, unbound.Code, unbound.Message);
        }

        var now = Time.GetUtcNow();
        var bound = envelope with
        {
            CommandId = commandId,
            TargetRef = target.Value,
            Actor = Caller,
            Scope = Scope,
            RequestedAt = now,
            CorrelationId = commandId,
        };
        var decision = await registration.Decide(
            new CommandInvocation(validated.Value.Payload, bound, commandId, Scope, now, new SpecStreams(this), CoreState.Empty, new SpecProjections(this, Scope), null),
            cancellationToken);
        if (decision.IsRejected)
        {
            return SpecOutcome.Rejected(commandType, decision.ReasonCode!, decision.Reason!, decision);
        }

        var options = decision.IsAmbiguous ? decision.Options.Select(o => o.Decision).ToList() : [decision];
        if (registration.SafetyClass != SafetyClass.Read && options.Any(o => !o.HasPreview))
        {
            return SpecOutcome.Rejected(commandType, ReasonCodes.CannotPreview, $"the handler of {commandType} gave no preview, and a mutation that cannot be previewed cannot be proposed (seed 000 §3)", decision);
        }

        foreach (var e in options.SelectMany(o => o.Events))
        {
            if (!_registry.TryGetEvent(e.GetType(), out var eventType) || eventType.Owner != PackId)
            {
                throw new PackSpecException($"The handler of {commandType} emitted {e.GetType().Name}, which is not an event registered by '{PackId}': the kernel would refuse the whole decision.");
            }
        }

        if (decision.IsAmbiguous)
        {
            return SpecOutcome.Ambiguous(commandType, decision);
        }

        var streamKey = decision.StreamKey ?? target.Value!;
        var appended = new List<SpecEvent>(decision.Events.Count);
        foreach (var e in decision.Events)
        {
            var eventType = EventOf(e);
            var json = JsonSerializer.SerializeToElement(e, e.GetType(), OpsJson.Options);
            Append(streamKey, eventType, json, "command:" + commandId, bound);
            appended.Add(new SpecEvent(eventType.Name, streamKey, e, json));
        }

        return SpecOutcome.Accepted(commandType, decision, streamKey, appended);
    }

    /// <summary>Folds every event of the spec into a projection, as the kernel would, and reads one document of the caller's tenant.</summary>
    /// <typeparam name="TDocument">The projection's document record.</typeparam>
    /// <param name="projectionName">The registered projection name.</param>
    /// <param name="key">The document key its <c>KeyOf</c> returns.</param>
    /// <returns>The document, or <see langword="null"/> when there is none.</returns>
    /// <exception cref="InvalidOperationException">The pack registered no projection by that name.</exception>
    public ValueTask<TDocument?> DocumentAsync<TDocument>(string projectionName, string key)
        where TDocument : class =>
        new SpecProjections(this, Scope).GetAsync<TDocument>(projectionName, key, CancellationToken.None);

    /// <summary>Every document of a projection for the caller's tenant, ordered by key (ordinal), after folding every event of the spec.</summary>
    /// <typeparam name="TDocument">The projection's document record.</typeparam>
    /// <param name="projectionName">The registered projection name.</param>
    /// <returns>The documents.</returns>
    /// <exception cref="InvalidOperationException">The pack registered no projection by that name.</exception>
    public ValueTask<IReadOnlyList<TDocument>> DocumentsAsync<TDocument>(string projectionName)
        where TDocument : class =>
        new SpecProjections(this, Scope).ListAsync<TDocument>(projectionName, CancellationToken.None);

    /// <summary>Then: the projection holds this document under <paramref name="key"/> (compared as canonical JSON), or none when <paramref name="expected"/> is null.</summary>
    /// <typeparam name="TDocument">The projection's document record.</typeparam>
    /// <param name="projectionName">The registered projection name.</param>
    /// <param name="key">The document key.</param>
    /// <param name="expected">The document expected, or <see langword="null"/> for none.</param>
    /// <returns>A task that completes when the check passed.</returns>
    /// <exception cref="PackSpecException">The document differs; the message shows both as JSON.</exception>
    public async Task ThenDocumentAsync<TDocument>(string projectionName, string key, TDocument? expected)
        where TDocument : class
    {
        var actual = await DocumentAsync<TDocument>(projectionName, key);
        var want = expected is null ? "null" : SpecJson.Canonical(expected);
        var got = actual is null ? "null" : SpecJson.Canonical(actual);
        if (!string.Equals(want, got, StringComparison.Ordinal))
        {
            throw new PackSpecException($"{projectionName}[{key}]: expected {want}, got {got}.");
        }
    }

    /// <summary>
    /// Runs one of the pack's queries as the caller, over the documents folded from every event of the spec,
    /// as <c>GET /v1/queries/&lt;pack_id&gt;/&lt;route&gt;</c> would (arguments bound from snake_case JSON).
    /// </summary>
    /// <typeparam name="TResult">The query's result type.</typeparam>
    /// <param name="route">The query's route, as registered with <c>AddQuery</c>.</param>
    /// <param name="query">The query record (or any object with the same JSON shape).</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The result the handler returned.</returns>
    /// <exception cref="InvalidOperationException">The pack registered no query with that route.</exception>
    public async Task<TResult?> QueryAsync<TResult>(string route, object query, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(route);
        ArgumentNullException.ThrowIfNull(query);
        var registration = _pack.Queries.SingleOrDefault(q => q.Route == route)
            ?? throw new InvalidOperationException($"pack '{PackId}' registers no query with route '{route}'; it has: {string.Join(", ", _pack.Queries.Select(q => q.Route))}.");
        var arguments = JsonSerializer.SerializeToElement(query, query.GetType(), OpsJson.Options);
        var result = await registration.Execute(new QueryInvocation(arguments, Caller, Scope, new SpecProjections(this, Scope)), cancellationToken);
        return (TResult?)result;
    }

    /// <summary>The pack-local events of one stream, oldest first.</summary>
    internal IReadOnlyList<EventEnvelope> StreamOf(string streamKey)
    {
        var streamId = CommandRegistration.StreamPrefixOf(PackId) + streamKey;
        return [.. _events.Where(e => e.StreamId == streamId)];
    }

    internal ProjectionRegistration ProjectionOf(string projectionName) =>
        _pack.Projections.SingleOrDefault(p => p.Name == projectionName)
            ?? throw new InvalidOperationException($"pack '{PackId}' registers no projection named {projectionName}; a pack reads only its own projections.");

    private EventRegistration EventOf(object payload) =>
        _registry.TryGetEvent(payload.GetType(), out var registration) && registration.Owner == PackId
            ? registration
            : throw new ArgumentException($"{payload.GetType().Name} is not an event type registered by pack '{PackId}' (AddEvent).", nameof(payload));

    /// <summary>An event the spec's pack may be given: its own, or one exported by a contract module it depends on.</summary>
    private EventRegistration GivenEventOf(object payload) =>
        _registry.TryGetEvent(payload.GetType(), out var registration)
        && (registration.Owner == PackId || _dependsOn.Contains(registration.PayloadType.Assembly.GetName().Name ?? string.Empty, StringComparer.Ordinal))
            ? registration
            : throw new ArgumentException($"{payload.GetType().Name} is neither an event type registered by pack '{PackId}' (AddEvent) nor one exported by a contract module in its depends_on (pass the exporting pack in dependencies).", nameof(payload));

    private PackRegistrations Build(IOpsPack pack, string packId, IConfiguration root, IReadOnlyList<string> exports, IReadOnlyList<string> dependsOn)
    {
        var builder = new PackBuilder(packId, root.GetSection($"Ops:Packs:{packId}"), pack.GetType().Assembly, Time, NullLoggerFactory.Instance);
        pack.Register(builder);
        return builder.Build(new LoadedPack(packId, "0.0.0", string.Empty, string.Empty, exports, dependsOn));
    }

    private void Append(string streamKey, EventRegistration type, JsonElement payload, string sourceRef, CommandEnvelope? command, string? owner = null)
    {
        var streamId = CommandRegistration.StreamPrefixOf(owner ?? PackId) + streamKey;
        var version = _versions.GetValueOrDefault(streamId) + 1;
        _versions[streamId] = version;
        var now = Time.GetUtcNow();
        var payloadHash = ContentHash.OfJson(payload);
        _events.Add(new EventEnvelope
        {
            EventId = DeterministicIds.EventId(sourceRef, $"{streamId}#{version}", payloadHash, now),
            EventType = type.Name,
            PayloadSchemaVersion = type.SchemaVersion,
            Payload = payload,
            PayloadHash = payloadHash,
            OccurredAt = now,
            IngestedAt = now,
            CorrelationId = command?.CorrelationId ?? sourceRef,
            CausationId = command?.CommandId,
            CausationType = command is null ? null : CausationType.Command,
            SourceRef = sourceRef,
            Actor = Caller,
            Scope = Scope,
            StreamId = streamId,
            StreamVersion = version,
        });
    }
}
