using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Identity;

namespace Ops.Core.Tests;

internal static class TestEvents
{
    public static EventEnvelope Draft(string native, object payload, DateTimeOffset occurredAt, string sourceRef = "test:source", long? sequence = null)
    {
        var element = JsonSerializer.SerializeToElement(payload, OpsJson.Options);
        var hash = ContentHash.OfJson(element);
        return new EventEnvelope
        {
            EventId = DeterministicIds.EventId(sourceRef, native, hash, occurredAt),
            EventType = "core.TestHappened",
            PayloadSchemaVersion = 1,
            Payload = element,
            PayloadHash = hash,
            OccurredAt = occurredAt,
            IngestedAt = occurredAt,
            CorrelationId = "c",
            SourceRef = sourceRef,
            SourceSequence = sequence,
            Actor = new ActorRef("tester", ActorKind.Service),
            Scope = new IdentityScope("acme", "system", null, "test"),
            StreamId = "s",
            StreamVersion = 0,
        };
    }
}
