using Ops.Core.Envelopes;

namespace Ops.Core.Packs;

/// <summary>Reads a pack's streams during a decision. Stream keys are the pack's own; the kernel prefixes them with the pack's namespace.</summary>
public interface IStreamReader
{
    /// <summary>Reads every event of a stream in stream order.</summary>
    /// <param name="streamKey">The pack-local stream key, for example <c>note-3f2a</c> (the command's target_ref by default).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The events, oldest first; empty when the stream does not exist.</returns>
    ValueTask<IReadOnlyList<EventEnvelope>> ReadStreamAsync(string streamKey, CancellationToken cancellationToken);
}
