using Microsoft.Data.Sqlite;

namespace Ops.Storage.Sqlite;

/// <summary>
/// The log writer's SQLite connection, kept open for the writer's lifetime with its statements prepared once
/// (measured: preparing per call cost more than the row it read, docs/performance.md). A batch takes the
/// in-process write gate, then SQLite's write lock with <c>BEGIN IMMEDIATE</c>.
/// </summary>
internal sealed class SqliteWriterConnection : IWriterConnection
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate;
    private readonly SqliteWriteTransaction _transaction;

    public SqliteWriterConnection(SqliteDatabase database)
    {
        _gate = WriteGate.For(database);
        _connection = database.Open();
        _transaction = new SqliteWriteTransaction(_connection, _gate);
    }

    public async ValueTask<IWriteTransaction> BeginAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _transaction.Begin(_connection.BeginTransaction(deferred: false));
            return _transaction;
        }
        catch
        {
            _gate.Release();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _transaction.DisposeStatements();
        await _connection.DisposeAsync();
    }
}
