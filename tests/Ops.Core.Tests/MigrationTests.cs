using Ops.Core.Storage;
using Ops.Storage.Sqlite;

namespace Ops.Core.Tests;

public sealed class MigrationTests
{
    [Fact]
    public void Migrate_UpDownUp_OnFreshDatabase_Works()
    {
        var path = Path.Combine(Path.GetTempPath(), "ops-tests", $"migrate-{Guid.NewGuid():N}.db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var database = new SqliteDatabase($"Data Source={path}");

        database.Migrate();
        var up = database.AppliedMigrations();
        database.Migrate("0");
        var down = database.AppliedMigrations();
        database.Migrate();

        Assert.NotEmpty(up);
        Assert.Empty(down);
        Assert.Equal(up, database.AppliedMigrations());
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE name IN ('events', 'events_refuse_update', 'events_refuse_delete', 'events_refuse_replace', 'command_outcomes', 'command_outcomes_refuse_replace', 'ux_command_outcomes_seq')";
        Assert.Equal(7L, command.ExecuteScalar());
    }

    [Fact]
    public void Migrate_TenantScopedProjections_DropsUntenantedDocumentsAndCheckpointsSoProjectionsRebuild()
    {
        var path = Path.Combine(Path.GetTempPath(), "ops-tests", $"migrate-{Guid.NewGuid():N}.db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var database = new SqliteDatabase($"Data Source={path}");
        database.Migrate("20261121000001_InitialLog");
        Execute(database, "INSERT INTO projection_documents (projection, doc_key, document) VALUES ('pack.notes.notes.NoteIndex', 'n1', x'7b7d')");
        Execute(database, "INSERT INTO projection_checkpoints (projection, version, position, updated_at) VALUES ('pack.notes.notes.NoteIndex', 1, 42, 0)");

        database.Migrate("20261201000003_TenantScopedProjections");

        Assert.Equal(["projection", "tenant_id", "mode", "doc_key", "document"], Columns(database, "projection_documents"));
        Assert.Equal(0L, Scalar(database, "SELECT count(*) FROM projection_documents"));
        Assert.Equal(0L, Scalar(database, "SELECT count(*) FROM projection_checkpoints"));

        Execute(database, "INSERT INTO projection_documents (projection, tenant_id, mode, doc_key, document) VALUES ('p', 'acme', 'system', 'k', x'7b7d')");
        database.Migrate("20261121000001_InitialLog");

        Assert.Equal(["projection", "doc_key", "document"], Columns(database, "projection_documents"));
        Assert.Equal(0L, Scalar(database, "SELECT count(*) FROM projection_documents"));
    }

    private static void Execute(SqliteDatabase database, string sql)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteDatabase database, string sql)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static List<string> Columns(SqliteDatabase database, string table)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT name FROM pragma_table_info('{table}') ORDER BY cid";
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
