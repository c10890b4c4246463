using System.Text.Json;
using Ops.Core.Packs;

namespace Ops.Testing;

/// <summary>What the kernel would answer to one command of a <see cref="PackSpec"/>, with the Then assertions.</summary>
public sealed class SpecOutcome
{
    private SpecOutcome(string commandType, Decision? decision, string? reasonCode, string? reason, string? streamKey, IReadOnlyList<SpecEvent> events)
    {
        CommandType = commandType;
        Decision = decision;
        ReasonCode = reasonCode;
        Reason = reason;
        StreamKey = streamKey;
        Events = events;
    }

    /// <summary>The command type sent.</summary>
    public string CommandType { get; }

    /// <summary>The handler's decision; <see langword="null"/> when the kernel refused the command before the handler saw it (an invalid payload or target).</summary>
    public Decision? Decision { get; }

    /// <summary>Whether the command was accepted with one interpretation (its events joined the spec's streams).</summary>
    public bool IsAccepted => ReasonCode is null && Decision is { IsAmbiguous: false };

    /// <summary>Whether the handler returned several interpretations (the signer would choose one; nothing joined the streams).</summary>
    public bool IsAmbiguous => Decision is { IsAmbiguous: true };

    /// <summary>The rejection's reason code (from the handler or the kernel's catalogue, for example <c>invalid_payload</c>); <see langword="null"/> when not rejected.</summary>
    public string? ReasonCode { get; }

    /// <summary>The rejection's sentence; <see langword="null"/> when not rejected.</summary>
    public string? Reason { get; }

    /// <summary>The pack-local stream the events went to (the decision's stream, else the bound target_ref); <see langword="null"/> unless accepted.</summary>
    public string? StreamKey { get; }

    /// <summary>The events appended, in order; empty unless accepted.</summary>
    public IReadOnlyList<SpecEvent> Events { get; }

    /// <summary>Then: accepted, appending exactly these event payloads, in this order (same types, equal canonical JSON).</summary>
    /// <param name="expected">The event payload records expected.</param>
    /// <returns>This outcome.</returns>
    /// <exception cref="PackSpecException">Rejected, ambiguous, or other events; the message shows both lists as JSON.</exception>
    public SpecOutcome ThenEvents(params object[] expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (!IsAccepted)
        {
            throw new PackSpecException($"{CommandType}: expected {expected.Length} event(s), but it was {Describe()}.");
        }

        var want = expected.Select(e => $"{e.GetType().Name} {SpecJson.Canonical(e)}").ToList();
        var got = Events.Select(e => $"{e.Payload.GetType().Name} {SpecJson.Canonical(e.Payload)}").ToList();
        if (!want.SequenceEqual(got, StringComparer.Ordinal))
        {
            throw new PackSpecException($"{CommandType}: expected events{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", want)}{Environment.NewLine}got{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", got)}");
        }

        return this;
    }

    /// <summary>Then: accepted onto stream <paramref name="streamKey"/>, appending exactly these event payloads.</summary>
    /// <param name="streamKey">The pack-local stream key expected.</param>
    /// <param name="expected">The event payload records expected.</param>
    /// <returns>This outcome.</returns>
    /// <exception cref="PackSpecException">Another outcome, stream or events.</exception>
    public SpecOutcome ThenEventsOn(string streamKey, params object[] expected)
    {
        ThenEvents(expected);
        return string.Equals(StreamKey, streamKey, StringComparison.Ordinal)
            ? this
            : throw new PackSpecException($"{CommandType}: expected the events on stream '{streamKey}', got '{StreamKey}'.");
    }

    /// <summary>Then: rejected with this reason code (the handler's, or the kernel's for an invalid payload or target); nothing joined the streams.</summary>
    /// <param name="reasonCode">The code expected, for example <c>item_exists</c>.</param>
    /// <returns>This outcome.</returns>
    /// <exception cref="PackSpecException">Accepted, ambiguous, or rejected with another code.</exception>
    public SpecOutcome ThenRejected(string reasonCode)
    {
        ArgumentException.ThrowIfNullOrEmpty(reasonCode);
        return string.Equals(ReasonCode, reasonCode, StringComparison.Ordinal)
            ? this
            : throw new PackSpecException($"{CommandType}: expected a rejection with '{reasonCode}', but it was {Describe()}.");
    }

    /// <summary>Then: the preview the signer would see shows the target going from <paramref name="before"/> to <paramref name="after"/> (canonical JSON).</summary>
    /// <param name="before">The state before; <see langword="null"/> when the object did not exist.</param>
    /// <param name="after">The state after; <see langword="null"/> when the change removes it.</param>
    /// <returns>This outcome.</returns>
    /// <exception cref="PackSpecException">Not accepted, or another preview.</exception>
    public SpecOutcome ThenPreview(object? before, object? after)
    {
        if (!IsAccepted || Decision is not { HasPreview: true } decision)
        {
            throw new PackSpecException($"{CommandType}: expected a preview, but it was {Describe()}{(IsAccepted ? " without a preview" : string.Empty)}.");
        }

        var want = (SpecJson.Canonical(before), SpecJson.Canonical(after));
        var got = (SpecJson.Canonical(decision.PreviewBefore), SpecJson.Canonical(decision.PreviewAfter));
        return want == got
            ? this
            : throw new PackSpecException($"{CommandType}: expected preview {want.Item1} -> {want.Item2}, got {got.Item1} -> {got.Item2}.");
    }

    internal static SpecOutcome Rejected(string commandType, string code, string reason, Decision? decision = null) => new(commandType, decision, code, reason, null, []);

    internal static SpecOutcome Ambiguous(string commandType, Decision decision) => new(commandType, decision, null, null, null, []);

    internal static SpecOutcome Accepted(string commandType, Decision decision, string streamKey, IReadOnlyList<SpecEvent> events) => new(commandType, decision, null, null, streamKey, events);

    private string Describe() =>
        ReasonCode is not null ? $"rejected with '{ReasonCode}' ({Reason})"
        : IsAmbiguous ? $"ambiguous ({Decision!.Options.Count} interpretations)"
        : $"accepted with {string.Join(", ", Events.Select(e => e.EventType))}";
}

/// <summary>An event an accepted command appended in a <see cref="PackSpec"/>.</summary>
/// <param name="EventType">Its registered event type.</param>
/// <param name="StreamKey">The pack-local stream key.</param>
/// <param name="Payload">The payload record the handler returned.</param>
/// <param name="Json">The payload as the log would store it (snake_case JSON).</param>
public sealed record SpecEvent(string EventType, string StreamKey, object Payload, JsonElement Json);

/// <summary>A Then of a <see cref="PackSpec"/> did not hold. The message says what was expected and what happened.</summary>
public sealed class PackSpecException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PackSpecException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What was expected and what happened.</param>
    public PackSpecException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What was expected and what happened.</param>
    /// <param name="innerException">The cause.</param>
    public PackSpecException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
