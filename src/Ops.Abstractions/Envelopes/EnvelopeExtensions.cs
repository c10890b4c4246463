using System.Text.Json;
using Ops.Core.Identity;

namespace Ops.Core.Envelopes;

/// <summary>Helpers for reading envelopes.</summary>
public static class EnvelopeExtensions
{
    /// <summary>Deserializes the payload with <see cref="OpsJson.Options"/>.</summary>
    /// <typeparam name="T">The payload record.</typeparam>
    /// <param name="envelope">The event.</param>
    /// <returns>The payload.</returns>
    /// <exception cref="JsonException">The payload does not fit <typeparamref name="T"/>.</exception>
    public static T PayloadAs<T>(this EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return envelope.Payload.Deserialize<T>(OpsJson.Options)
            ?? throw new JsonException($"Event {envelope.EventId} has a null payload.");
    }
}
