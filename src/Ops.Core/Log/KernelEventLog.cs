using Ops.Core.Envelopes;
using Ops.Core.Log.Integrity;
using Ops.Core.Storage;

namespace Ops.Core.Log;

/// <summary>The public <see cref="IEventLog"/> over the log's engine, whichever it is.</summary>
internal sealed class KernelEventLog(IStorageEngine engine) : IEventLog
{
    public IStorageEngine Engine { get; } = engine;

    public IEventStore Store => Engine.Events;

    public ValueTask<IReadOnlyList<LoggedEvent>> ReadAsync(long afterPosition, int limit, CancellationToken cancellationToken) =>
        Store.ReadAsync(afterPosition, limit, cancellationToken);

    public IAsyncEnumerable<LoggedEvent> ReadCanonicalAsync(CancellationToken cancellationToken) => Store.ReadCanonicalAsync(cancellationToken);

    public ValueTask<IReadOnlyList<LoggedEvent>> ReadStreamAsync(string streamId, CancellationToken cancellationToken) =>
        Store.ReadStreamAsync(streamId, cancellationToken);

    public ValueTask<long> HeadPositionAsync(CancellationToken cancellationToken) => Store.HeadPositionAsync(cancellationToken);

    public async ValueTask<LogVerification> VerifyAsync(IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var scanner = new ChainScanner();
        await Store.ScanChainAsync(scanner, 1, long.MaxValue, progress, cancellationToken);
        return scanner.Result();
    }
}
