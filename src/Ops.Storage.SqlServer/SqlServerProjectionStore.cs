using System.Data;
using System.Runtime.CompilerServices;
using Microsoft.Data.SqlClient;
using Ops.Core.Projections;

namespace Ops.Storage.SqlServer;

/// <summary>Projection documents and checkpoints on SQL Server (<see cref="IProjectionStore"/>); it opens the write transactions.</summary>
[Authority(AuthorityClass.ProjectionRunner, "projection_documents", "projection_checkpoints")]
internal sealed class SqlServerProjectionStore(string connectionString) : IProjectionStore
{
    internal const string CheckpointSql = "SELECT version, position, updated_at FROM dbo.projection_checkpoints WHERE projection = @projection";

    public async ValueTask<ProjectionCheckpoint?> ReadCheckpointAsync(string projection, CancellationToken cancellationToken)
    {
        await using var connection = new SqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return await ReadCheckpointAsync(connection, null, projection, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<(string Projection, ProjectionCheckpoint Checkpoint)>> ReadCheckpointsAsync(CancellationToken cancellationToken)
    {
        await using var connection = new SqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new SqlCommand("SELECT projection, version, position, updated_at FROM dbo.projection_checkpoints ORDER BY projection", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<(string, ProjectionCheckpoint)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add((reader.GetString(0), new ProjectionCheckpoint(reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3))));
        }

        return result;
    }

    public async ValueTask<IProjectionWrite> BeginWriteAsync(CancellationToken cancellationToken)
    {
        var connection = new SqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            var transaction = (SqlTransaction)await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
            // The projections' lock: every worker's projection writes, one at a time, like SQLite's write gate.
            await using (var begin = new SqlCommand(
                $"""
                DECLARE @granted int;
                EXEC @granted = sp_getapplock @Resource = N'{SqlServerEngine.ProjectionLock}', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = -1;
                IF @granted < 0 THROW {SqlServerErrors.LockNotGranted}, N'the projections lock was not granted', 1;
                """,
                connection,
                transaction)
            { CommandTimeout = 0 })
            {
                await begin.ExecuteNonQueryAsync(cancellationToken);
            }

            return new SqlServerProjectionWrite(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask<IProjectionRead> BeginReadAsync(CancellationToken cancellationToken)
    {
        var connection = new SqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            // SNAPSHOT: every statement of the read sees the database as of its first one (S0002 allows it).
            var transaction = (SqlTransaction)await connection.BeginTransactionAsync(IsolationLevel.Snapshot, cancellationToken);
            return new SqlServerProjectionRead(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    internal static async ValueTask<ProjectionCheckpoint?> ReadCheckpointAsync(SqlConnection connection, SqlTransaction? transaction, string projection, CancellationToken cancellationToken)
    {
        await using var command = new SqlCommand(CheckpointSql, connection, transaction);
        command.Parameters.Add(new SqlParameter("@projection", SqlDbType.NVarChar, 200) { Value = projection });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new ProjectionCheckpoint(reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2)) : null;
    }

    internal static async ValueTask<byte[]?> LoadAsync(SqlConnection connection, SqlTransaction transaction, string projection, DocumentAddress address, CancellationToken cancellationToken)
    {
        await using var command = new SqlCommand("SELECT document FROM dbo.projection_documents WHERE projection = @projection AND tenant_id = @tenant AND mode = @mode AND doc_key = @key", connection, transaction);
        AddAddress(command, projection, address);
        return await command.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    internal static void AddAddress(SqlCommand command, string projection, DocumentAddress address)
    {
        command.Parameters.Add(new SqlParameter("@projection", SqlDbType.NVarChar, 200) { Value = projection });
        command.Parameters.Add(new SqlParameter("@tenant", SqlDbType.VarBinary, 128) { Value = SqlServerText.Encode(address.TenantId) });
        command.Parameters.Add(new SqlParameter("@mode", SqlDbType.VarBinary, 32) { Value = SqlServerText.Encode(address.Mode) });
        command.Parameters.Add(new SqlParameter("@key", SqlDbType.VarBinary, 1024) { Value = SqlServerText.Encode(address.Key) });
    }
}

/// <summary>A projection write transaction, holding the projections' application lock until it ends.</summary>
[Authority(AuthorityClass.ProjectionRunner, "projection_documents", "projection_checkpoints")]
internal sealed class SqlServerProjectionWrite(SqlConnection connection, SqlTransaction transaction) : IProjectionWrite
{
    public ValueTask<byte[]?> LoadAsync(string projection, DocumentAddress address, CancellationToken cancellationToken) =>
        SqlServerProjectionStore.LoadAsync(connection, transaction, projection, address, cancellationToken);

    public async ValueTask ClearAsync(string projection, CancellationToken cancellationToken)
    {
        await using var command = new SqlCommand(
            "DELETE FROM dbo.projection_documents WHERE projection = @projection; DELETE FROM dbo.projection_checkpoints WHERE projection = @projection;",
            connection,
            transaction);
        command.Parameters.Add(new SqlParameter("@projection", SqlDbType.NVarChar, 200) { Value = projection });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask WriteDocumentsAsync(string projection, IReadOnlyDictionary<DocumentAddress, byte[]?> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var addresses = documents.Keys.ToArray();
        Array.Sort(addresses, DocumentAddress.Ordinal);

        // One prepared statement per kind, rebound per document, in key order (the lock excludes every other writer).
        await using var upsert = new SqlCommand(
            """
            UPDATE dbo.projection_documents SET document = @document WHERE projection = @projection AND tenant_id = @tenant AND mode = @mode AND doc_key = @key;
            IF @@ROWCOUNT = 0
                INSERT INTO dbo.projection_documents (projection, tenant_id, mode, doc_key, document) VALUES (@projection, @tenant, @mode, @key, @document);
            """,
            connection,
            transaction);
        await using var remove = new SqlCommand(
            "DELETE FROM dbo.projection_documents WHERE projection = @projection AND tenant_id = @tenant AND mode = @mode AND doc_key = @key",
            connection,
            transaction);
        foreach (var address in addresses)
        {
            var document = documents[address];
            var command = document is null ? remove : upsert;
            command.Parameters.Clear();
            SqlServerProjectionStore.AddAddress(command, projection, address);
            if (document is not null)
            {
                command.Parameters.Add(new SqlParameter("@document", SqlDbType.VarBinary, -1) { Value = document });
            }

            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async ValueTask SaveCheckpointAsync(string projection, ProjectionCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        await using var save = new SqlCommand(
            """
            UPDATE dbo.projection_checkpoints SET version = @version, position = @position, updated_at = @updated WHERE projection = @projection;
            IF @@ROWCOUNT = 0
                INSERT INTO dbo.projection_checkpoints (projection, version, position, updated_at) VALUES (@projection, @version, @position, @updated);
            """,
            connection,
            transaction);
        save.Parameters.Add(new SqlParameter("@projection", SqlDbType.NVarChar, 200) { Value = projection });
        save.Parameters.Add(new SqlParameter("@version", SqlDbType.Int) { Value = checkpoint.Version });
        save.Parameters.Add(new SqlParameter("@position", SqlDbType.BigInt) { Value = checkpoint.Position });
        save.Parameters.Add(new SqlParameter("@updated", SqlDbType.BigInt) { Value = checkpoint.UpdatedAtTicks });
        await save.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>READ COMMITTED under the projections' lock: sees every projection commit that released it before us.</summary>
    public ValueTask<ProjectionCheckpoint?> ReadCheckpointAsync(string projection, CancellationToken cancellationToken) =>
        SqlServerProjectionStore.ReadCheckpointAsync(connection, transaction, projection, cancellationToken);

    public async ValueTask CommitAsync(CancellationToken cancellationToken) => await transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}

/// <summary>A projection read snapshot (SNAPSHOT isolation, read only in effect).</summary>
internal sealed class SqlServerProjectionRead(SqlConnection connection, SqlTransaction transaction) : IProjectionRead
{
    public ValueTask<ProjectionCheckpoint?> ReadCheckpointAsync(string projection, CancellationToken cancellationToken) =>
        SqlServerProjectionStore.ReadCheckpointAsync(connection, transaction, projection, cancellationToken);

    public ValueTask<byte[]?> GetAsync(string projection, DocumentAddress address, CancellationToken cancellationToken) =>
        SqlServerProjectionStore.LoadAsync(connection, transaction, projection, address, cancellationToken);

    public async IAsyncEnumerable<(string Key, byte[] Document)> ListAsync(string projection, string tenantId, string mode, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = new SqlCommand("SELECT doc_key, document FROM dbo.projection_documents WHERE projection = @projection AND tenant_id = @tenant AND mode = @mode ORDER BY doc_key", connection, transaction);
        command.Parameters.Add(new SqlParameter("@projection", SqlDbType.NVarChar, 200) { Value = projection });
        command.Parameters.Add(new SqlParameter("@tenant", SqlDbType.VarBinary, 128) { Value = SqlServerText.Encode(tenantId) });
        command.Parameters.Add(new SqlParameter("@mode", SqlDbType.VarBinary, 32) { Value = SqlServerText.Encode(mode) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return (SqlServerText.Decode(reader.GetFieldValue<byte[]>(0)), reader.GetFieldValue<byte[]>(1));
        }
    }

    public async IAsyncEnumerable<(DocumentAddress Address, byte[] Document)> ScanAsync(string projection, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // varbinary UTF-8 columns: this order is UTF-8 byte order, the state hash's.
        await using var command = new SqlCommand("SELECT tenant_id, mode, doc_key, document FROM dbo.projection_documents WHERE projection = @projection ORDER BY tenant_id, mode, doc_key", connection, transaction);
        command.Parameters.Add(new SqlParameter("@projection", SqlDbType.NVarChar, 200) { Value = projection });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return (new DocumentAddress(SqlServerText.Decode(reader.GetFieldValue<byte[]>(0)), SqlServerText.Decode(reader.GetFieldValue<byte[]>(1)), SqlServerText.Decode(reader.GetFieldValue<byte[]>(2))), reader.GetFieldValue<byte[]>(3));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
