using Microsoft.Data.Sqlite;
using Ops.Core.Capabilities;
using Ops.Core.Storage;

namespace Ops.Core.Log;

/// <summary>
/// Kernel state as of the log's head, for reads and authentication (issue 7: a revocation takes effect on
/// the next request in every process sharing the database). Each call checks the head position (one
/// indexed lookup on a kept connection) and folds only core events appended since, by this process's
/// writer or by any other process (the admin CLI, another worker).
/// </summary>
internal sealed class CoreStateReader(SqliteDatabase database, LogWriter writer) : IAsyncDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private SqliteConnection? _connection;
    private SqliteCommand? _head;
    private CoreState _cached = CoreState.Empty;

    public async ValueTask<CoreState> CurrentAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var committed = writer.CommittedCore;
            var state = committed.Position >= _cached.Position ? committed : _cached;
            _connection ??= database.Open();
            if (_head is null)
            {
                _head = _connection.CreateCommand();
                _head.CommandText = "SELECT COALESCE(MAX(position), 0) FROM events";
            }

            var head = (long)(await _head.ExecuteScalarAsync(cancellationToken))!;
            if (head <= state.Position)
            {
                _cached = state;
                return state;
            }

            await using var catchUp = _connection.CreateCommand();
            catchUp.CommandText = $"SELECT {SqliteEventLog.SelectColumns} FROM events WHERE position > $after AND position <= $head AND event_type LIKE 'core.%' ORDER BY position";
            catchUp.Parameters.AddWithValue("$after", state.Position);
            catchUp.Parameters.AddWithValue("$head", head);
            await using (var reader = await catchUp.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    state = state.Apply(SqliteEventLog.Read(reader));
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

    public async ValueTask DisposeAsync()
    {
        if (_head is not null)
        {
            await _head.DisposeAsync();
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        _lock.Dispose();
    }
}
