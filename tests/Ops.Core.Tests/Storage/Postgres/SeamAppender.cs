using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Ops.Core.Log;
using Ops.Core.Storage;
using Ops.Testing;

namespace Ops.Core.Tests.Storage.Postgres;

/// <summary>
/// The kernel's own <see cref="WriteSession"/> and <see cref="OutcomeStore"/> on one engine batch, at a fixed
/// time: the chain, idempotency and per-stream concurrency these tests check are the kernel's, not a copy.
/// </summary>
internal sealed class SeamAppender(IWriteTransaction transaction, DateTimeOffset now)
{
    private readonly WriteSession _session = new(new ManualTimeProvider(now));
    private bool _begun;

    public async ValueTask<IReadOnlyList<AppendedEvent>> AppendAsync(string streamId, long? expectedVersion, IReadOnlyList<EventEnvelope> drafts, CancellationToken cancellationToken = default) =>
        await (await SessionAsync(cancellationToken)).AppendAsync(streamId, expectedVersion, drafts, cancellationToken);

    /// <summary>Records an accepted outcome for <paramref name="commandId"/>, chained after the outcome head.</summary>
    public async ValueTask RecordOutcomeAsync(string commandId, string contentHash, CancellationToken cancellationToken = default) =>
        await OutcomeStore.RecordAsync(await SessionAsync(cancellationToken), Outcome(commandId, now), contentHash, cancellationToken);

    public static CommandOutcome Outcome(string commandId, DateTimeOffset decidedAt) =>
        new() { CommandId = commandId, CommandType = "core.TestCommand", Status = CommandStatus.Accepted, DecidedAt = decidedAt };

    private async ValueTask<WriteSession> SessionAsync(CancellationToken cancellationToken)
    {
        if (!_begun)
        {
            await _session.BeginAsync(transaction, CoreState.Empty, cancellationToken);
            _begun = true;
        }

        return _session;
    }
}
