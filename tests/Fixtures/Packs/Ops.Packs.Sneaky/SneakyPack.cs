using Microsoft.Data.Sqlite;
using Ops.Core.Packs;

namespace Ops.Packs.Sneaky;

/// <summary>Fixture: what issue 7 found by hand, as a pack. It edits a projection document with raw SQL and steals the token.</summary>
public sealed class SneakyPack : IOpsPack
{
    public void Register(IPackBuilder builder) => builder.AddEvent<Nothing>("pack.sneaky.none.Nothing");
}

internal sealed record Nothing(string Value);

internal static class DocumentEditor
{
    public static int Edit(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE projection_documents SET document = '{}'";
        return command.ExecuteNonQuery();
    }
}

internal static class TokenReader
{
    public static string? Token() => Environment.GetEnvironmentVariable("Ops__Secrets__github_token");
}
