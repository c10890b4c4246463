using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Log.Integrity;

namespace Ops.Core.Log;

/// <summary>Stored form of envelopes: RFC 8785 canonical JSON, so exports and hashes are byte-stable.</summary>
public static class EventCodec
{
    /// <summary>The envelope as stored: canonical JSON (RFC 8785), UTF-8.</summary>
    /// <param name="envelope">The envelope.</param>
    /// <returns>The bytes the chain hashes.</returns>
    public static byte[] Encode(EventEnvelope envelope) => CanonicalJson.SerializeToCanonical(envelope);

    /// <summary>The envelope stored at <paramref name="position"/>.</summary>
    /// <exception cref="Errors.OpsException"><see cref="Errors.ReasonCodes.RowUnreadable"/>, naming the position and what is wrong, when the bytes do not parse.</exception>
    public static EventEnvelope Decode(long position, ReadOnlySpan<byte> bytes)
    {
        try
        {
            return JsonSerializer.Deserialize<EventEnvelope>(bytes, OpsJson.Options)
                ?? throw RowDamage.Unreadable(position, "its envelope is the JSON literal null", null);
        }
        catch (Exception ex) when (RowDamage.IsParseFailure(ex))
        {
            throw RowDamage.Unreadable(position, RowDamage.EnvelopeKind(bytes, ex), ex);
        }
    }

    /// <summary>An instant as stored: UTC ticks (100 ns since 0001-01-01).</summary>
    /// <param name="instant">The instant.</param>
    /// <returns>Its UTC ticks.</returns>
    public static long Ticks(DateTimeOffset instant) => instant.UtcTicks;
}
