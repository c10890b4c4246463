using Ops.Core.Storage;

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
}
