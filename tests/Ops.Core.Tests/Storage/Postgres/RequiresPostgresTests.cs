using Ops.TestSupport;

namespace Ops.Core.Tests.Storage.Postgres;

/// <summary>
/// Issue 15 item 1: without a PostgreSQL server a test is skipped with one line, never failed for a missing variable;
/// that holds only for classes marked <see cref="RequiresPostgresAttribute"/>, so every class that takes the PostgreSQL
/// fixture must carry it.
/// </summary>
public sealed class RequiresPostgresTests
{
    [Fact]
    public void EveryClassWithThePostgresFixture_IsMarkedRequiresPostgres()
    {
        var unmarked = typeof(RequiresPostgresTests).Assembly.GetTypes()
            .Where(t => t.GetInterfaces().Contains(typeof(IClassFixture<PostgresFixture>)))
            .Where(t => !t.IsDefined(typeof(RequiresPostgresAttribute), inherit: true))
            .Select(t => t.FullName)
            .ToList();

        Assert.True(unmarked.Count == 0, "not marked [RequiresPostgres]: " + string.Join(", ", unmarked));
    }
}
