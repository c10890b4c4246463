using Ops.Core.Capabilities;
using Ops.Core.Storage;

namespace Ops.Core.Log;

/// <summary>
/// Kernel state as of the log's head, for reads and authentication (issue 7: a revocation takes effect on
/// the next request in every process sharing the database). Each call checks the head position (one
/// indexed lookup) and folds only core events appended since, by this process's writer or by any other
/// process (the admin CLI, another worker).
/// </summary>
internal sealed class CoreStateReader(IEventStore events, LogWriter writer) : IAsyncDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private CoreState _cached = CoreState.Empty;

    public async ValueTask<CoreState> CurrentAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var committed = writer.CommittedCore;
            var state = committed.Position >= _cached.Position ? committed : _cached;
            var head = await events.HeadPositionAsync(cancellationToken);
            if (head <= state.Position)
            {
                _cached = state;
                return state;
            }

            await foreach (var logged in events.ReadCoreEventsAsync(state.Position, cancellationToken))
            {
                if (logged.Position <= head)
                {
                    state = state.ApplyStored(logged);
                }
            }

            _cached = state with { Position = head };
            return _cached;
        }
        finally
        {
            _lock.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        _lock.Dispose();
        return ValueTask.CompletedTask;
    }
}
