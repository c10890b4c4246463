using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Core.Log;
using Ops.Core.Naming;
using Ops.Core.Packs;
using Ops.Packs.Notes;
using Ops.Packs.Notes.Contracts;

namespace Ops.Benchmarks;

/// <summary>Canonical JSON (RFC 8785) and SHA-256 of an event of about 800 bytes: the cost behind every id and hash.</summary>
public class CanonicalHashBenchmarks
{
    private JsonElement _body;
    private byte[] _canonical = [];
    private EventEnvelope _event = null!;

    [GlobalSetup]
    public void Setup()
    {
        _body = Fixtures.Body800();
        _canonical = CanonicalJson.Canonicalize(_body);
        _event = Fixtures.NoteEvent();
    }

    /// <summary>Size of the event body in canonical bytes (shown by the [Params]-less setup; about 800).</summary>
    public int CanonicalBytes => _canonical.Length;

    [Benchmark(Description = "SHA-256 of 800 bytes")]
    public byte[] Sha256Of800Bytes() => SHA256.HashData(_canonical.AsSpan(0, Math.Min(800, _canonical.Length)));

    [Benchmark(Description = "canonical JSON of ~800-byte event")]
    public byte[] Canonicalize() => CanonicalJson.Canonicalize(_body);

    [Benchmark(Description = "canonical JSON + SHA-256 (ContentHash.OfJson)")]
    public string CanonicalPlusSha256() => ContentHash.OfJson(_body);

    [Benchmark(Description = "event_id (DeterministicIds.EventId)")]
    public string EventId() => DeterministicIds.EventId(_event.SourceRef, "x#0", _event.PayloadHash, _event.OccurredAt);

    [Benchmark(Description = "stored envelope bytes (EventCodec.Encode)")]
    public byte[] EncodeEnvelope() => EventCodec.Encode(_event);

    [Benchmark(Description = "chain row hash (LogChain.RowHash)")]
    public byte[] RowHash() => LogChain.RowHash(LogChain.Genesis, new ChainRow(42, new byte[32], _event.StreamId, 1, _event.EventType, _event.OccurredAt.UtcTicks, _event.SourceRef, 0, _canonical));
}

/// <summary>Envelope JSON round trips: reflection-based <see cref="OpsJson.Options"/> against System.Text.Json source generation.</summary>
public class EnvelopeSerializationBenchmarks
{
    private EventEnvelope _event = null!;
    private byte[] _json = [];

    [GlobalSetup]
    public void Setup()
    {
        _event = Fixtures.NoteEvent();
        _json = JsonSerializer.SerializeToUtf8Bytes(_event, OpsJson.Options);
        var generated = JsonSerializer.SerializeToUtf8Bytes(_event, EnvelopeJsonContext.GeneratedOptions);
        if (!generated.AsSpan().SequenceEqual(_json))
        {
            throw new InvalidOperationException("Source-generated envelope JSON differs from OpsJson.Options:\n" + Fixtures.Utf8(_json) + "\n" + Fixtures.Utf8(generated));
        }
    }

    [Benchmark(Baseline = true, Description = "round trip, reflection (OpsJson.Options)")]
    public EventEnvelope RoundTripReflection() =>
        JsonSerializer.Deserialize<EventEnvelope>(JsonSerializer.SerializeToUtf8Bytes(_event, OpsJson.Options), OpsJson.Options)!;

    [Benchmark(Description = "round trip, source-generated")]
    public EventEnvelope RoundTripSourceGenerated() =>
        JsonSerializer.Deserialize<EventEnvelope>(JsonSerializer.SerializeToUtf8Bytes(_event, EnvelopeJsonContext.GeneratedOptions), EnvelopeJsonContext.GeneratedOptions)!;

    [Benchmark(Description = "serialize, source-generated")]
    public byte[] SerializeSourceGenerated() => JsonSerializer.SerializeToUtf8Bytes(_event, EnvelopeJsonContext.GeneratedOptions);

    [Benchmark(Description = "deserialize, source-generated")]
    public EventEnvelope DeserializeSourceGenerated() => JsonSerializer.Deserialize<EventEnvelope>(_json, EnvelopeJsonContext.GeneratedOptions)!;

    [Benchmark(Description = "stored envelope decode (EventCodec.Decode)")]
    public EventEnvelope DecodeStored() => EventCodec.Decode(1, _json);
}

/// <summary>Capability evaluation (FindFor) with 1, 10 and 1,000 grants of the actor in scope; the allowing grant is the last.</summary>
public class CapabilityBenchmarks
{
    private CoreState _state = null!;

    [Params(1, 10, 1_000)]
    public int Grants { get; set; }

    [GlobalSetup]
    public void Setup() => _state = Fixtures.StateWithGrants(Grants);

    [Benchmark(Description = "CapabilityEvaluator.FindFor")]
    public bool FindFor()
    {
        var decision = CapabilityEvaluator.FindFor(_state, "alice", NoteNames.CreateNote, "note-new", SafetyClass.WriteInternal, Fixtures.Now);
        return decision.Allowed ? true : throw new InvalidOperationException(decision.Reason);
    }
}

/// <summary>Namespace validation of type names.</summary>
public class NamespaceBenchmarks
{
    [Benchmark(Description = "OpsTypeName.Parse, valid pack name")]
    public bool ValidPackName() => OpsTypeName.Parse("pack.notes.notes.CreateNote").Problem is null;

    [Benchmark(Description = "OpsTypeName.Parse, valid core name")]
    public bool ValidCoreName() => OpsTypeName.Parse("core.CapabilityGranted").Problem is null;

    [Benchmark(Description = "OpsTypeName.Parse, invalid name")]
    public bool InvalidName() => OpsTypeName.Parse("pack.Notes.notes.createNote").Problem is null;
}

/// <summary>
/// The gateway's decide step for pack.notes.notes.CreateNote, without the database: what the writer
/// does in memory for a command (command_id, content hash, capability as of now, the pack's decision
/// against its stream, the event's payload hash and event_id, the stored envelope bytes). The SQL
/// around it is measured by bench/Ops.Load.
/// </summary>
public class GatewayDecideBenchmarks
{
    private KernelRegistry _registry = null!;
    private CommandRegistration _command = null!;
    private CoreState _core = null!;
    private CommandEnvelope _envelope = null!;
    private object _payload = null!;
    private readonly EmptyStreams _streams = new();

    [GlobalSetup]
    public void Setup()
    {
        var configuration = new ConfigurationBuilder().Build();
        _registry = KernelRegistryFactory.CreateWithCore(TimeProvider.System, NullLoggerFactory.Instance);
        KernelRegistryFactory.AddPack(_registry, new NotesPack(), new LoadedPack("notes", "1.0.0", "", "", [], []), configuration, TimeProvider.System, NullLoggerFactory.Instance);
        _command = _registry.Commands[NoteNames.CreateNote];
        _core = Fixtures.StateWithGrants(1);
        _envelope = new CommandEnvelope
        {
            CommandType = NoteNames.CreateNote,
            TargetRef = NoteNames.NewNoteTarget,
            Payload = JsonSerializer.SerializeToElement(new CreateNote("Benchmark note", new string('x', 160), NoteContentTypes.Text, ["bench"]), OpsJson.Options),
            IdempotencyKey = "bench-1",
            Actor = new ActorRef("alice", ActorKind.Human),
        };
        _payload = _envelope.Payload.Deserialize(_command.PayloadType, OpsJson.Options)!;
    }

    [Benchmark(Description = "notes handler decide (CreateNote)")]
    public async Task<Decision> HandlerDecide()
    {
        var scope = new IdentityScope("acme", "system", "alice", "api");
        return await _command.Decide(new CommandInvocation(_payload, _envelope, new string('c', 64), scope, Fixtures.Now, _streams, _core, null!, null), CancellationToken.None);
    }

    [Benchmark(Description = "gateway decide step, in memory (CreateNote)")]
    public async Task<byte[]> DecideStep()
    {
        var now = Fixtures.Now;
        var payload = _envelope.Payload.Deserialize(_command.PayloadType, OpsJson.Options)!;
        var commandId = DeterministicIds.CommandId("acme", "alice", _command.Name, _envelope.TargetRef!, _envelope.Payload, _envelope.IdempotencyKey);
        var contentHash = ContentHash.OfValue(new JsonObject
        {
            ["command_type"] = _command.Name,
            ["target_ref"] = _envelope.TargetRef,
            ["payload"] = JsonNode.Parse(_envelope.Payload.GetRawText()),
            ["actor_id"] = "alice",
            ["tenant_id"] = "acme",
        });
        var capability = CapabilityEvaluator.FindFor(_core, "alice", _command.Name, _envelope.TargetRef!, _command.SafetyClass, now);
        var scope = new IdentityScope("acme", "system", "alice", "api");
        var decision = await _command.Decide(new CommandInvocation(payload, _envelope, commandId, scope, now, _streams, _core, null!, capability), CancellationToken.None);
        var e = decision.Events[0];
        _registry.TryGetEvent(e.GetType(), out var eventType);
        _ = contentHash; // computed as the gateway does; the idempotency record would store it
        var streamId = "pack.notes:" + (decision.StreamKey ?? _envelope.TargetRef);
        return EventCodec.Encode(EventDraft.Create(
            eventType.Name, eventType.SchemaVersion, EventDraft.Payload(e), "command:" + commandId, commandId + "#0", 0, now,
            new Causation(commandId, commandId, CausationType.Command), new ActorRef("alice", ActorKind.Human), capability.CapabilityId, capability.StateRef, scope, streamId)
            with
        { StreamVersion = 1 });
    }

    private sealed class EmptyStreams : IStreamReader
    {
        public ValueTask<IReadOnlyList<EventEnvelope>> ReadStreamAsync(string streamKey, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<EventEnvelope>>([]);
    }
}
