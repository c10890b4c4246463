using System.Data;
using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;
using Ops.Core.Projections;

namespace Ops.Storage.PostgreSQL;

/// <summary>Projection documents and checkpoints on PostgreSQL (<see cref="IProjectionStore"/>); it opens the write transactions.</summary>
[Authority(AuthorityClass.ProjectionRunner, "projection_documents", "projection_checkpoints")]
internal sealed class PostgresProjectionStore(NpgsqlDataSource dataSource) : IProjectionStore
{
    internal const string CheckpointSql = "SELECT version, position, updated_at FROM projection_checkpoints WHERE projection = $1";

    public async ValueTask<ProjectionCheckpoint?> ReadCheckpointAsync(string projection, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(CheckpointSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projection });
        return await ReadCheckpointAsync(command, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<(string Projection, ProjectionCheckpoint Checkpoint)>> ReadCheckpointsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT projection, version, position, updated_at FROM projection_checkpoints ORDER BY projection");
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
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
            // The projections' lock (every worker's projection writes, one at a time, like SQLite's write gate),
            // and no flush of its own: derived data, a lost commit loses its checkpoint with it (IProjectionStore).
            await using (var begin = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1)") { Parameters = { new NpgsqlParameter<long> { TypedValue = PostgresEngine.ProjectionLockKey } } },
                    new NpgsqlBatchCommand("SET LOCAL synchronous_commit = off"),
                },
            })
            {
                await begin.ExecuteNonQueryAsync(cancellationToken);
            }

            return new PostgresProjectionWrite(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask<IProjectionRead> BeginReadAsync(CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            // REPEATABLE READ: every statement of the snapshot sees the database as of its first one.
            var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
            return new PostgresProjectionRead(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    internal static async ValueTask<ProjectionCheckpoint?> ReadCheckpointAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new ProjectionCheckpoint(reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2)) : null;
    }

    internal static async ValueTask<byte[]?> LoadAsync(NpgsqlConnection connection, string projection, DocumentAddress address, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT document FROM projection_documents WHERE projection = $1 AND tenant_id = $2 AND mode = $3 AND doc_key = $4", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projection });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = address.TenantId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = address.Mode });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = address.Key });
        return await command.ExecuteScalarAsync(cancellationToken) as byte[];
    }
}

/// <summary>A projection write transaction, holding the projections' advisory lock until it ends.</summary>
[Authority(AuthorityClass.ProjectionRunner, "projection_documents", "projection_checkpoints")]
internal sealed class PostgresProjectionWrite(NpgsqlConnection connection, NpgsqlTransaction transaction) : IProjectionWrite
{
    public ValueTask<byte[]?> LoadAsync(string projection, DocumentAddress address, CancellationToken cancellationToken) =>
        PostgresProjectionStore.LoadAsync(connection, projection, address, cancellationToken);

    public async ValueTask ClearAsync(string projection, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("DELETE FROM projection_documents WHERE projection = $1") { Parameters = { new NpgsqlParameter<string> { TypedValue = projection } } },
                new NpgsqlBatchCommand("DELETE FROM projection_checkpoints WHERE projection = $1") { Parameters = { new NpgsqlParameter<string> { TypedValue = projection } } },
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask WriteDocumentsAsync(string projection, IReadOnlyDictionary<DocumentAddress, byte[]?> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var addresses = documents.Keys.ToArray();
        Array.Sort(addresses, DocumentAddress.Ordinal);
        var upserts = addresses.Where(a => documents[a] is not null).ToArray();
        var removals = addresses.Where(a => documents[a] is null).ToArray();

        // Two statements whatever the count: the documents travel as arrays, in key order.
        if (upserts.Length > 0)
        {
            await using var upsert = new NpgsqlCommand(
                """
                INSERT INTO projection_documents (projection, tenant_id, mode, doc_key, document)
                SELECT $1, t, m, k, d FROM unnest($2::text[], $3::text[], $4::text[], $5::bytea[]) AS u(t, m, k, d)
                ON CONFLICT (projection, tenant_id, mode, doc_key) DO UPDATE SET document = excluded.document
                """,
                connection);
            upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projection });
            upsert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. upserts.Select(a => a.TenantId)] });
            upsert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. upserts.Select(a => a.Mode)] });
            upsert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. upserts.Select(a => a.Key)] });
            upsert.Parameters.Add(new NpgsqlParameter<byte[][]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, TypedValue = [.. upserts.Select(a => documents[a]!)] });
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        if (removals.Length > 0)
        {
            await using var remove = new NpgsqlCommand(
                """
                DELETE FROM projection_documents AS d USING unnest($2::text[], $3::text[], $4::text[]) AS u(t, m, k)
                WHERE d.projection = $1 AND d.tenant_id = u.t AND d.mode = u.m AND d.doc_key = u.k
                """,
                connection);
            remove.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projection });
            remove.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. removals.Select(a => a.TenantId)] });
            remove.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. removals.Select(a => a.Mode)] });
            remove.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. removals.Select(a => a.Key)] });
            await remove.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async ValueTask SaveCheckpointAsync(string projection, ProjectionCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        await using var save = new NpgsqlCommand(
            """
            INSERT INTO projection_checkpoints (projection, version, position, updated_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (projection) DO UPDATE SET version = excluded.version, position = excluded.position, updated_at = excluded.updated_at
            """,
            connection);
        save.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projection });
        save.Parameters.Add(new NpgsqlParameter<int> { TypedValue = checkpoint.Version });
        save.Parameters.Add(new NpgsqlParameter<long> { TypedValue = checkpoint.Position });
        save.Parameters.Add(new NpgsqlParameter<long> { TypedValue = checkpoint.UpdatedAtTicks });
        await save.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask<ProjectionCheckpoint?> ReadCheckpointAsync(string projection, CancellationToken cancellationToken)
    {
        // READ COMMITTED under the projections' lock: sees every projection commit that released it before us.
        await using var command = new NpgsqlCommand(PostgresProjectionStore.CheckpointSql, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projection });
        return await PostgresProjectionStore.ReadCheckpointAsync(command, cancellationToken);
    }

    public async ValueTask CommitAsync(CancellationToken cancellationToken) => await transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}

/// <summary>A projection read snapshot (REPEATABLE READ, read only in effect).</summary>
internal sealed class PostgresProjectionRead(NpgsqlConnection connection, NpgsqlTransaction transaction) : IProjectionRead
{
    public async ValueTask<ProjectionCheckpoint?> ReadCheckpointAsync(string projection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(PostgresProjectionStore.CheckpointSql, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projection });
        return await PostgresProjectionStore.ReadCheckpointAsync(command, cancellationToken);
    }

    public ValueTask<byte[]?> GetAsync(string projection, DocumentAddress address, CancellationToken cancellationToken) =>
        PostgresProjectionStore.LoadAsync(connection, projection, address, cancellationToken);

    public async IAsyncEnumerable<(string Key, byte[] Document)> ListAsync(string projection, string tenantId, string mode, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT doc_key, document FROM projection_documents WHERE projection = $1 AND tenant_id = $2 AND mode = $3 ORDER BY doc_key", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projection });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenantId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = mode });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return (reader.GetString(0), reader.GetFieldValue<byte[]>(1));
        }
    }

    public async IAsyncEnumerable<(DocumentAddress Address, byte[] Document)> ScanAsync(string projection, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // COLLATE "C" columns: this order is UTF-8 byte order, the state hash's (EncodedAddress.Compare).
        await using var command = new NpgsqlCommand("SELECT tenant_id, mode, doc_key, document FROM projection_documents WHERE projection = $1 ORDER BY tenant_id, mode, doc_key", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projection });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return (new DocumentAddress(reader.GetString(0), reader.GetString(1), reader.GetString(2)), reader.GetFieldValue<byte[]>(3));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
