namespace Ops.Core.Log;

/// <summary>
/// The stream was not at the expected version when appending (optimistic concurrency, DESIGN.md §3).
/// Nothing was appended; decide again against the stream's current state.
/// </summary>
internal sealed class StreamConcurrencyException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="expectedVersion">The version the writer decided against.</param>
    /// <param name="actualVersion">The stream's version now.</param>
    public StreamConcurrencyException(string streamId, long expectedVersion, long actualVersion)
        : base($"Stream '{streamId}' is at version {actualVersion}, not the expected {expectedVersion}: it changed since the decision. Nothing was appended.")
    {
        StreamId = streamId;
        ExpectedVersion = expectedVersion;
        ActualVersion = actualVersion;
    }

    /// <summary>The stream.</summary>
    public string StreamId { get; }

    /// <summary>The version the writer decided against.</summary>
    public long ExpectedVersion { get; }

    /// <summary>The stream's version now (-1 when unknown).</summary>
    public long ActualVersion { get; }
}
