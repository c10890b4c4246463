using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Identity;

namespace Ops.Core.Log;

/// <summary>Stored form of envelopes: RFC 8785 canonical JSON, so exports and hashes are byte-stable.</summary>
internal static class EventCodec
{
    public static byte[] Encode(EventEnvelope envelope) => CanonicalJson.SerializeToCanonical(envelope);

    public static EventEnvelope Decode(ReadOnlySpan<byte> bytes) =>
        JsonSerializer.Deserialize<EventEnvelope>(bytes, OpsJson.Options)
        ?? throw new JsonException("A stored envelope is null.");

    public static long Ticks(DateTimeOffset instant) => instant.UtcTicks;
}
