using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Ops.Core.Capabilities;
using Ops.Core.Storage;

namespace Ops.Core.Log;

/// <summary>
/// The single writer of the log (DESIGN.md §3, group commit): concurrent units of work queue here;
/// the writer takes up to <see cref="MaxBatch"/> at a time, runs each in its own savepoint against
/// the state left by the ones before it, and commits the batch in one transaction. A unit's result
/// is released only after the commit is durable; if the commit fails, every unit of the batch fails
/// with <see cref="LogCommitException"/> and nothing of the batch was written.
/// </summary>
internal sealed class LogWriter : IAsyncDisposable
{
    public const int MaxBatch = 256;

    private readonly Channel<WorkItem> _queue = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(16_384) { SingleReader = true });
    private readonly IWriterConnection _connection;
    private readonly WriteSession _session;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private readonly Errors.OpsException? _damage;
    private CoreState _committedCore;

    public LogWriter(IStorageEngine engine, TimeProvider time, ILogger logger)
    {
        _logger = logger;
        _connection = engine.OpenWriter();
        _session = new WriteSession(time);
        try
        {
            _committedCore = LoadCore(engine.Events);
        }
        catch (Errors.OpsException ex) when (ex.Code == Errors.ReasonCodes.RowUnreadable)
        {
            // A damaged core row must not stop the process from opening: log verify, the start check and every CLI verb
            // must be able to say where the damage is. Nothing may decide against a partial fold, so the writer refuses
            // all work and CommittedCore throws, each naming the row.
            _damage = ex;
            _committedCore = CoreState.Empty;
        }

        _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Core state as of the last commit.</summary>
    /// <exception cref="Errors.OpsException"><see cref="Errors.ReasonCodes.RowUnreadable"/> when a core row could not be read at open.</exception>
    public CoreState CommittedCore => _damage is null ? Volatile.Read(ref _committedCore) : throw Integrity.RowDamage.Again(_damage);

    /// <summary>The core row that could not be read when the writer opened (position and kind in its message), or null.</summary>
    public Errors.OpsException? Damage => _damage;

    /// <summary>Raised after each durable commit with the new head position.</summary>
    public event Action<long>? Committed;

    public long BatchesCommitted { get; private set; }

    public async Task<T> ExecuteAsync<T>(Func<WriteSession, CancellationToken, ValueTask<T>> work, CancellationToken cancellationToken)
    {
        if (_damage is not null)
        {
            throw Integrity.RowDamage.Again(_damage);
        }

        var item = new WorkItem<T>(work, cancellationToken);
        await _queue.Writer.WriteAsync(item, cancellationToken);
        return await item.Task;
    }

    /// <summary>Brings the committed core state up to date with appends made by other processes.</summary>
    public Task RefreshAsync(CancellationToken cancellationToken) =>
        ExecuteAsync(static (_, _) => ValueTask.FromResult(true), cancellationToken);

    private static CoreState LoadCore(IEventStore events)
    {
        var core = CoreState.Empty;
        foreach (var logged in events.ReadCoreEventsAsync(0, CancellationToken.None).ToBlockingEnumerable())
        {
            core = core.ApplyStored(logged);
        }

        return core with { Position = events.HeadPositionAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult() };
    }

    private async Task RunAsync()
    {
        var batch = new List<WorkItem>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item))
            {
                if (!item.IsCancelled)
                {
                    batch.Add(item);
                }
            }

            if (batch.Count > 0)
            {
                await RunBatchAsync(batch);
            }
        }
    }

    private async Task RunBatchAsync(List<WorkItem> batch)
    {
        IWriteTransaction? transaction = null;
        try
        {
            transaction = await _connection.BeginAsync(CancellationToken.None);
            await _session.BeginAsync(transaction, _committedCore, CancellationToken.None);

            // A batch of one needs no savepoint: if its unit fails, rolling back the whole transaction
            // leaves exactly what rolling back to the savepoint and committing nothing would.
            var single = batch.Count == 1;
            var rollBackAll = false;
            for (var i = 0; i < batch.Count; i++)
            {
                var savepoint = single ? string.Empty : "w" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var mark = _session.Mark();
                if (!single)
                {
                    await transaction.SaveAsync(savepoint, CancellationToken.None);
                }

                try
                {
                    await batch[i].RunAsync(_session);
                    if (!single)
                    {
                        await transaction.ReleaseAsync(savepoint, CancellationToken.None);
                    }
                }
                catch (Exception ex)
                {
                    if (single)
                    {
                        rollBackAll = true;
                    }
                    else
                    {
                        await transaction.RollbackToAsync(savepoint, CancellationToken.None);
                        await transaction.ReleaseAsync(savepoint, CancellationToken.None);
                    }

                    _session.Restore(mark);
                    batch[i].SetFailure(ex);
                }
            }

            if (rollBackAll)
            {
                await transaction.RollbackAsync(CancellationToken.None);
            }
            else
            {
                await transaction.CommitAsync(CancellationToken.None);
            }
        }
        catch (Exception ex)
        {
            CoreLog.BatchCommitFailed(_logger, batch.Count, ex);
            try
            {
                if (transaction is not null)
                {
                    await transaction.RollbackAsync(CancellationToken.None);
                }
            }
            catch (Exception rollback) when (rollback is InvalidOperationException or System.Data.Common.DbException)
            {
                // The transaction is already gone; nothing of the batch is in the database either way.
            }

            foreach (var item in batch)
            {
                // A row another process appended that does not read is the row's damage, not an unavailable log.
                item.SetFailure(ex is Errors.OpsException { Code: Errors.ReasonCodes.RowUnreadable } ? ex : new LogCommitException(batch.Count, ex));
                item.Complete();
            }

            return;
        }
        finally
        {
            _session.End();
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }
        }

        Volatile.Write(ref _committedCore, _session.Core);
        BatchesCommitted++;
        foreach (var item in batch)
        {
            item.Complete();
        }

        Committed?.Invoke(_session.Head);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
        await _connection.DisposeAsync();
    }

    private abstract class WorkItem
    {
        public abstract bool IsCancelled { get; }

        public abstract ValueTask RunAsync(WriteSession session);

        public abstract void SetFailure(Exception exception);

        public abstract void Complete();
    }

    private sealed class WorkItem<T>(Func<WriteSession, CancellationToken, ValueTask<T>> work, CancellationToken cancellationToken) : WorkItem
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;
        private Exception? _failure;

        public Task<T> Task => _completion.Task;

        public override bool IsCancelled
        {
            get
            {
                if (!cancellationToken.IsCancellationRequested)
                {
                    return false;
                }

                _completion.TrySetCanceled(cancellationToken);
                return true;
            }
        }

        public override async ValueTask RunAsync(WriteSession session) => _result = await work(session, CancellationToken.None);

        public override void SetFailure(Exception exception) => _failure ??= exception;

        public override void Complete()
        {
            if (_failure is not null)
            {
                _completion.TrySetException(_failure);
            }
            else
            {
                _completion.TrySetResult(_result!);
            }
        }
    }
}

/// <summary>The commit of a write batch failed; nothing of the batch was written, and nothing retries it.</summary>
public sealed class LogCommitException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="batchSize">How many units of work the failed batch held.</param>
    /// <param name="inner">The database failure.</param>
    public LogCommitException(int batchSize, Exception inner)
        : base($"The log could not commit (batch of {batchSize}): {inner?.Message} Nothing was written; the request was not retried.", inner)
    {
    }
}
