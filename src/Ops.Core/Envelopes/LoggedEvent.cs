namespace Ops.Core.Envelopes;

/// <summary>An event with its global log position (1-based, gapless, in append order).</summary>
/// <param name="Position">Global position in the log.</param>
/// <param name="Envelope">The stored envelope.</param>
public sealed record LoggedEvent(long Position, EventEnvelope Envelope)
{
    internal static LoggedEvent Placeholder { get; } = new(0, null!);
}
