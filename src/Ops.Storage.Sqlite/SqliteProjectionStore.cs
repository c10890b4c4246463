using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Ops.Core.Projections;
using SQLitePCL;

namespace Ops.Storage.Sqlite;

/// <summary>Projection documents and checkpoints on SQLite (tables of migrations M0001 and M0003).</summary>
[Authority(AuthorityClass.ProjectionRunner, "projection_documents", "projection_checkpoints")]
internal sealed class SqliteProjectionStore(SqliteDatabase database, TimeProvider time) : IProjectionStore
{
    public async ValueTask<ProjectionCheckpoint?> ReadCheckpointAsync(string projection, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        return await ReadCheckpointAsync(connection, null, projection, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<(string Projection, ProjectionCheckpoint Checkpoint)>> ReadCheckpointsAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT projection, version, position, updated_at FROM projection_checkpoints ORDER BY projection";
        var result = new List<(string, ProjectionCheckpoint)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add((reader.GetString(0), new ProjectionCheckpoint(reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3))));
        }

        return result;
    }

    public async ValueTask<IProjectionWrite> BeginWriteAsync(CancellationToken cancellationToken)
    {
        var gate = WriteGate.For(database);
        await gate.WaitAsync(cancellationToken);
        try
        {
            var connection = database.Open();
            if (!database.IsInMemory && database.Synchronous == "FULL")
            {
                // Derived data: a projection commit lost to power loss takes its checkpoint with it (WAL keeps the
                // file a consistent prefix) and the events are folded again, so it needs no flush of its own; the
                // log's commits stay FULL. The pool re-applies the database's setting on the next Open().
                await using var pragma = connection.CreateCommand();
                pragma.CommandText = "PRAGMA synchronous=NORMAL";
                await pragma.ExecuteNonQueryAsync(cancellationToken);
            }

            return new Write(connection, (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken), gate, time);
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    public ValueTask<IProjectionRead> BeginReadAsync(CancellationToken cancellationToken)
    {
        var connection = database.Open();
        return ValueTask.FromResult<IProjectionRead>(new Read(connection, connection.BeginTransaction(deferred: true)));
    }

    private static async ValueTask<ProjectionCheckpoint?> ReadCheckpointAsync(SqliteConnection connection, SqliteTransaction? transaction, string projection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT version, position, updated_at FROM projection_checkpoints WHERE projection = $p";
        command.Parameters.AddWithValue("$p", projection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new ProjectionCheckpoint(reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2)) : null;
    }

    private static SqliteCommand LoadCommand(SqliteConnection connection, SqliteTransaction transaction)
    {
        var load = connection.CreateCommand();
        load.Transaction = transaction;
        load.CommandText = "SELECT document FROM projection_documents WHERE projection = $p AND tenant_id = $t AND mode = $m AND doc_key = $k";
        load.Parameters.Add("$p", SqliteType.Text);
        load.Parameters.Add("$t", SqliteType.Text);
        load.Parameters.Add("$m", SqliteType.Text);
        load.Parameters.Add("$k", SqliteType.Text);
        return load;
    }

    /// <summary>
    /// A stored document, which the kernel always writes as a blob. SQLite lets any value stand in any column, so a
    /// document stored as text, a number or NULL is damage to name (issue 20 item 4), not a cast to fail on.
    /// </summary>
    private static byte[] Document(SqliteDataReader reader, int ordinal, string projection, string key) =>
        reader.GetValue(ordinal) is byte[] document
            ? document
            : throw Ops.Core.Log.Integrity.RowDamage.DocumentUnreadable(projection, key, reader.IsDBNull(ordinal) ? "it is NULL" : $"it is stored as {(reader.GetValue(ordinal) is string ? "text" : "a number")}, not as the document the kernel wrote");

    private static async ValueTask<byte[]?> LoadAsync(SqliteCommand load, string projection, DocumentAddress address, CancellationToken cancellationToken)
    {
        load.Parameters[0].Value = projection;
        load.Parameters[1].Value = address.TenantId;
        load.Parameters[2].Value = address.Mode;
        load.Parameters[3].Value = address.Key;
        return await load.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    /// <summary>One write transaction under the database's in-process write gate.</summary>
    [Authority(AuthorityClass.ProjectionRunner, "projection_documents", "projection_checkpoints")]
    private sealed class Write(SqliteConnection connection, SqliteTransaction transaction, SemaphoreSlim gate, TimeProvider time) : IProjectionWrite
    {
        private SqliteCommand? _load;

        public ValueTask<ProjectionCheckpoint?> ReadCheckpointAsync(string projection, CancellationToken cancellationToken) =>
            SqliteProjectionStore.ReadCheckpointAsync(connection, transaction, projection, cancellationToken);

        public async ValueTask<byte[]?> LoadAsync(string projection, DocumentAddress address, CancellationToken cancellationToken)
        {
            _load ??= LoadCommand(connection, transaction);
            return await SqliteProjectionStore.LoadAsync(_load, projection, address, cancellationToken);
        }

        public async ValueTask ClearAsync(string projection, CancellationToken cancellationToken)
        {
            await using var clear = connection.CreateCommand();
            clear.Transaction = transaction;
            clear.CommandText = "DELETE FROM projection_documents WHERE projection = $p; DELETE FROM projection_checkpoints WHERE projection = $p";
            clear.Parameters.AddWithValue("$p", projection);
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        /// <summary>
        /// Upserts and deletes in address order, so the writes walk the primary key's B-tree in order. The two statements
        /// are prepared once per call and stepped through SQLitePCL itself (issue 21 item 4): through SqliteCommand each
        /// document cost a command execution, more than the B-tree write under it.
        /// </summary>
        public ValueTask WriteDocumentsAsync(string projection, IReadOnlyDictionary<DocumentAddress, byte[]?> documents, CancellationToken cancellationToken)
        {
            var addresses = documents.Keys.ToArray();
            Array.Sort(addresses, DocumentAddress.Ordinal);
            var db = connection.Handle!;
            var upsert = Prepare(db, "INSERT INTO projection_documents (projection, tenant_id, mode, doc_key, document) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (projection, tenant_id, mode, doc_key) DO UPDATE SET document = excluded.document");
            using (upsert)
            {
                var remove = Prepare(db, "DELETE FROM projection_documents WHERE projection = ?1 AND tenant_id = ?2 AND mode = ?3 AND doc_key = ?4");
                using (remove)
                {
                    Check(db, raw.sqlite3_bind_text(upsert, 1, projection));
                    Check(db, raw.sqlite3_bind_text(remove, 1, projection));
                    for (var i = 0; i < addresses.Length; i++)
                    {
                        if ((i & 0x3FF) == 0)
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                        }

                        var address = addresses[i];
                        var document = documents[address];
                        var statement = document is null ? remove : upsert;
                        Check(db, raw.sqlite3_bind_text(statement, 2, address.TenantId));
                        Check(db, raw.sqlite3_bind_text(statement, 3, address.Mode));
                        Check(db, raw.sqlite3_bind_text(statement, 4, address.Key));
                        if (document is not null)
                        {
                            Check(db, raw.sqlite3_bind_blob(upsert, 5, document));
                        }

                        var rc = raw.sqlite3_step(statement);
                        raw.sqlite3_reset(statement);
                        if (rc != raw.SQLITE_DONE)
                        {
                            SqliteException.ThrowExceptionForRC(rc, db);
                        }
                    }
                }
            }

            return ValueTask.CompletedTask;
        }

        private static sqlite3_stmt Prepare(sqlite3 db, string sql)
        {
            var rc = raw.sqlite3_prepare_v2(db, sql, out var statement);
            if (rc != raw.SQLITE_OK)
            {
                statement.Dispose();
                SqliteException.ThrowExceptionForRC(rc, db);
            }

            return statement;
        }

        private static void Check(sqlite3 db, int rc)
        {
            if (rc != raw.SQLITE_OK)
            {
                SqliteException.ThrowExceptionForRC(rc, db);
            }
        }

        public async ValueTask SaveCheckpointAsync(string projection, ProjectionCheckpoint checkpoint, CancellationToken cancellationToken)
        {
            await using var save = connection.CreateCommand();
            save.Transaction = transaction;
            save.CommandText = "INSERT INTO projection_checkpoints (projection, version, position, updated_at) VALUES ($p, $v, $pos, $at) ON CONFLICT (projection) DO UPDATE SET version = excluded.version, position = excluded.position, updated_at = excluded.updated_at";
            save.Parameters.AddWithValue("$p", projection);
            save.Parameters.AddWithValue("$v", checkpoint.Version);
            save.Parameters.AddWithValue("$pos", checkpoint.Position);
            save.Parameters.AddWithValue("$at", checkpoint.UpdatedAtTicks == 0 ? time.GetUtcNow().UtcTicks : checkpoint.UpdatedAtTicks);
            await save.ExecuteNonQueryAsync(cancellationToken);
        }

        public async ValueTask CommitAsync(CancellationToken cancellationToken) => await transaction.CommitAsync(cancellationToken);

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (_load is not null)
                {
                    await _load.DisposeAsync();
                }

                await transaction.DisposeAsync();
                await connection.DisposeAsync();
            }
            finally
            {
                gate.Release();
            }
        }
    }

    /// <summary>One read snapshot: a deferred transaction sees the database as of its first read.</summary>
    private sealed class Read(SqliteConnection connection, SqliteTransaction transaction) : IProjectionRead
    {
        private SqliteCommand? _load;

        public ValueTask<ProjectionCheckpoint?> ReadCheckpointAsync(string projection, CancellationToken cancellationToken) =>
            SqliteProjectionStore.ReadCheckpointAsync(connection, transaction, projection, cancellationToken);

        public async ValueTask<byte[]?> GetAsync(string projection, DocumentAddress address, CancellationToken cancellationToken)
        {
            _load ??= LoadCommand(connection, transaction);
            return await LoadAsync(_load, projection, address, cancellationToken);
        }

        public async IAsyncEnumerable<(string Key, byte[] Document)> ListAsync(string projection, string tenantId, string mode, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT doc_key, document FROM projection_documents WHERE projection = $p AND tenant_id = $t AND mode = $m ORDER BY doc_key";
            command.Parameters.AddWithValue("$p", projection);
            command.Parameters.AddWithValue("$t", tenantId);
            command.Parameters.AddWithValue("$m", mode);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                yield return (reader.GetString(0), Document(reader, 1, projection, reader.GetString(0)));
            }
        }

        /// <summary>SQLite compares TEXT as UTF-8 bytes: the order state hashes need.</summary>
        public async IAsyncEnumerable<(DocumentAddress Address, byte[] Document)> ScanAsync(string projection, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT tenant_id, mode, doc_key, document FROM projection_documents WHERE projection = $p ORDER BY tenant_id, mode, doc_key";
            command.Parameters.AddWithValue("$p", projection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                yield return (new DocumentAddress(reader.GetString(0), reader.GetString(1), reader.GetString(2)), Document(reader, 3, projection, reader.GetString(2)));
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_load is not null)
            {
                await _load.DisposeAsync();
            }

            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
