using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Log;
using Ops.Packs.Notes.Contracts;

namespace Ops.Benchmarks;

/// <summary>Inputs shared by the benchmarks: an event of about 800 canonical bytes, and core state with N grants.</summary>
internal static class Fixtures
{
    public static readonly DateTimeOffset Now = new(2026, 11, 21, 14, 22, 32, 123, TimeSpan.Zero);

    /// <summary>A NoteCreated envelope as the log stores it; its note content is sized so the canonical envelope is about 800 bytes... plus the envelope fields.</summary>
    public static EventEnvelope NoteEvent(int contentLength = 40)
    {
        var commandId = Convert.ToHexStringLower(SHA256.HashData("bench-command"u8));
        var noteId = commandId[..32];
        var payload = new NoteCreated(noteId, "acme", "system", "admin", "Benchmark note", new string('x', contentLength), NoteContentTypes.Text, ["bench"], new NoteSource(NoteSource.User), Now, "bench");
        return EventDraft.Create(
            NoteNames.NoteCreated, 1, EventDraft.Payload(payload), "command:" + commandId, commandId + "#0", 0, Now,
            new Causation(commandId, commandId, CausationType.Command), new ActorRef("admin", ActorKind.Human), commandId, commandId,
            new IdentityScope("acme", "system", "admin", "bench"), "pack.notes:note-" + noteId) with
        { StreamVersion = 1 };
    }

    /// <summary>An event body of about 800 canonical bytes (a payload-only JSON object of that size).</summary>
    public static JsonElement Body800()
    {
        var text = $$"""
            {"note_id":"{{new string('a', 32)}}","tenant_id":"acme","mode":"system","user_id":"admin","title":"Quarterly review notes",
             "content":"{{new string('x', 420)}}","content_type":"markdown","tags":["planning","q4","review"],
             "source":{"created_by":"user","agent_id":null,"run_id":null},"created_at":"2026-11-21T14:22:32.1230000Z",
             "surface_id":"api","project_id":null,"revision":12,"score":0.75}
            """;
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>
    /// Core state where actor "alice" holds <paramref name="grants"/> capabilities; only the last one allows
    /// pack.notes.* so the evaluator walks every grant before it finds the one that answers.
    /// </summary>
    public static CoreState StateWithGrants(int grants)
    {
        var state = CoreState.Empty.Apply(Logged(1, CoreEventTypes.ActorRegistered, new ActorRegistered("alice", ActorKind.Human, "acme", "Alice")));
        for (var i = 0; i < grants; i++)
        {
            var scope = i == grants - 1
                ? new CapabilityScope(["pack.notes.*"], ["note-*"], [SafetyClass.WriteInternal])
                : new CapabilityScope([$"pack.other{i}.*"], ["*"], [SafetyClass.Read]);
            var id = DeterministicIds.Derive("capability", "bench", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            state = state.Apply(Logged(i + 2, CoreEventTypes.CapabilityGranted, new CapabilityGranted(id, "alice", scope, Now.AddDays(-1), null, null, "admin")));
        }

        return state;
    }

    private static LoggedEvent Logged(long position, string type, object payload)
    {
        var element = JsonSerializer.SerializeToElement(payload, payload.GetType(), OpsJson.Options);
        var hash = ContentHash.OfJson(element);
        return new LoggedEvent(position, new EventEnvelope
        {
            EventId = DeterministicIds.EventId("bench", position.ToString(System.Globalization.CultureInfo.InvariantCulture), hash, Now.AddDays(-1)),
            EventType = type,
            PayloadSchemaVersion = 1,
            Payload = element,
            PayloadHash = hash,
            OccurredAt = Now.AddDays(-1),
            IngestedAt = Now.AddDays(-1),
            CorrelationId = "bench",
            SourceRef = "bench",
            Actor = new ActorRef("admin", ActorKind.Human),
            Scope = new IdentityScope("acme", "system", "admin", "bench"),
            StreamId = "core:bench-" + position.ToString(System.Globalization.CultureInfo.InvariantCulture),
            StreamVersion = 1,
        });
    }

    public static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}

/// <summary>
/// Source-generated metadata for the envelope, with the naming of <see cref="OpsJson.Options"/>; used
/// through a copy of those options, so converters (instants, enums) and every rule stay the same.
/// The benchmark checks that it writes byte-identical JSON before it measures.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(EventEnvelope))]
internal sealed partial class EnvelopeJsonContext : JsonSerializerContext
{
    public static JsonSerializerOptions GeneratedOptions { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(OpsJson.Options) { TypeInfoResolver = new EnvelopeJsonContext() };
        options.MakeReadOnly();
        return options;
    }
}
