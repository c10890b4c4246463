using System.Data.Common;
using Ops.Core.Storage;

namespace ArchViolations.RogueWriter;

/// <summary>Planted: writes the log without declaring an authority class.</summary>
internal static class RogueWriter
{
    public static int Append(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO events (event_id) VALUES ($id)";
        return command.ExecuteNonQuery();
    }
}

/// <summary>Planted: an INSERT ... RETURNING through ExecuteScalar, without an authority class.</summary>
internal static class ReturningInsert
{
    public static object? Append(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO events (event_id) VALUES ($id) RETURNING position";
        return command.ExecuteScalar();
    }
}

/// <summary>Planted: a projection runner that deletes from the log.</summary>
[Authority(AuthorityClass.ProjectionRunner, "projection_documents")]
internal sealed class OverreachingWriter
{
    public static async Task ClearAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM events";
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>Planted: the SQL is prepared in the constructor and run in an async method; it updates a table not declared.</summary>
[Authority(AuthorityClass.LogAppender, "events")]
internal sealed class SplitOverreachingWriter(DbCommand command)
{
    private readonly string _sql = "UPDATE command_outcomes SET status = 'accepted'";

    public async Task<int> RunAsync()
    {
        command.CommandText = _sql;
        return await command.ExecuteNonQueryAsync();
    }
}

/// <summary>No violation: declares the table it writes.</summary>
[Authority(AuthorityClass.LogAppender, "events")]
internal sealed class DeclaredWriter(DbCommand command)
{
    private readonly string _sql = "INSERT INTO events (event_id) VALUES ($id)";

    public async Task<int> RunAsync()
    {
        command.CommandText = _sql;
        return await command.ExecuteNonQueryAsync();
    }
}

/// <summary>No violation: an upsert whose DO UPDATE SET names no other table.</summary>
[Authority(AuthorityClass.LogAppender, "connector_cursors")]
internal static class UpsertWriter
{
    public static int Save(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO connector_cursors (connector_id, cursor) VALUES ($id, $c) ON CONFLICT (connector_id) DO UPDATE SET cursor = excluded.cursor";
        return command.ExecuteNonQuery();
    }
}

/// <summary>No violation: reads need no authority.</summary>
internal static class ReadOnlyQuery
{
    public static object? Count(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM events";
        return command.ExecuteScalar();
    }
}

/// <summary>Planted: a schema-qualified delete (SQL Server's dbo.t) from a table its authority does not list.</summary>
[Authority(AuthorityClass.ProjectionRunner, "projection_documents")]
internal static class QualifiedOverreachingWriter
{
    public static int Clear(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM dbo.projection_documents; DELETE FROM [dbo].[events]";
        return command.ExecuteNonQuery();
    }
}
