using Npgsql;
using Ops.Core.Storage;

namespace ArchViolations.RogueWriter;

/// <summary>Planted: appends to the log through a text COPY, without an authority class.</summary>
internal static class CopyWriter
{
    public static void Append(NpgsqlConnection connection)
    {
        using var import = connection.BeginTextImport("COPY events (event_id) FROM STDIN");
        import.WriteLine("\\x00");
    }
}

/// <summary>Planted: a raw binary COPY into command_outcomes under an authority that lists only events.</summary>
[Authority(AuthorityClass.LogAppender, "events")]
internal static class RawCopyWriter
{
    public static void Append(NpgsqlConnection connection, byte[] rows)
    {
        using var import = connection.BeginRawBinaryCopy("COPY command_outcomes FROM STDIN (FORMAT binary)");
        import.Write(rows);
    }
}

/// <summary>Planted: a projection runner that MERGEs into the log, through an NpgsqlBatch.</summary>
[Authority(AuthorityClass.ProjectionRunner, "projection_documents")]
internal static class MergeWriter
{
    public static async Task MergeAsync(NpgsqlConnection connection)
    {
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { new NpgsqlBatchCommand("MERGE INTO events e USING (SELECT 1 AS p) s ON e.position = s.p WHEN MATCHED THEN DELETE") } };
        await batch.ExecuteNonQueryAsync();
    }
}

/// <summary>Planted: TRUNCATE of a table the authority does not list.</summary>
[Authority(AuthorityClass.LogAppender, "events")]
internal static class TruncateWriter
{
    public static int Clear(NpgsqlConnection connection)
    {
        using var command = new NpgsqlCommand("TRUNCATE TABLE command_outcomes", connection);
        return command.ExecuteNonQuery();
    }
}

/// <summary>No violation: COPY out is a read, and reads need no authority.</summary>
internal static class CopyReader
{
    public static string Export(NpgsqlConnection connection)
    {
        using var export = connection.BeginTextExport("COPY events TO STDOUT");
        return export.ReadToEnd();
    }
}
