namespace Ops.Core.Packs;

/// <summary>A handler's decision: events to append to one stream, or a rejection with a reason.</summary>
public sealed record Decision
{
    private Decision(IReadOnlyList<object> events, string? streamKey, string? reasonCode, string? reason)
    {
        Events = events;
        StreamKey = streamKey;
        ReasonCode = reasonCode;
        Reason = reason;
    }

    /// <summary>Event payloads to append, in order; each must be a registered event record.</summary>
    public IReadOnlyList<object> Events { get; }

    /// <summary>Stream to append to; <see langword="null"/> means the command's target_ref.</summary>
    public string? StreamKey { get; }

    /// <summary>Machine-readable reason code of a rejection.</summary>
    public string? ReasonCode { get; }

    /// <summary>Human-readable reason of a rejection.</summary>
    public string? Reason { get; }

    /// <summary>Whether this is a rejection.</summary>
    public bool IsRejected => ReasonCode is not null;

    /// <summary>Accepts the command with events for the command's target stream.</summary>
    /// <param name="events">One or more registered event payloads.</param>
    /// <returns>An accepting decision.</returns>
    /// <exception cref="ArgumentException">No events were given.</exception>
    public static Decision Accept(params object[] events) => AcceptOn(null, events);

    /// <summary>Accepts the command with events for a named stream of the pack.</summary>
    /// <param name="streamKey">Pack-local stream key; <see langword="null"/> for the target_ref.</param>
    /// <param name="events">One or more registered event payloads.</param>
    /// <returns>An accepting decision.</returns>
    /// <exception cref="ArgumentException">No events were given.</exception>
    public static Decision AcceptOn(string? streamKey, params object[] events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Length == 0)
        {
            throw new ArgumentException("An accepted command appends at least one event.", nameof(events));
        }

        return new Decision(events, streamKey, null, null);
    }

    /// <summary>Rejects the command; nothing is appended.</summary>
    /// <param name="reasonCode">Lowercase code, for example <c>note_not_found</c>.</param>
    /// <param name="reason">What failed, in a sentence.</param>
    /// <returns>A rejecting decision.</returns>
    public static Decision Reject(string reasonCode, string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reasonCode);
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new Decision([], null, reasonCode, reason);
    }
}
