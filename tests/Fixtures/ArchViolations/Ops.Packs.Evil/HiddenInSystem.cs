using Microsoft.Data.Sqlite;

#pragma warning disable IDE0130 // the namespace is the planted violation
namespace System.Hidden;
#pragma warning restore IDE0130

/// <summary>
/// Planted: code declared in a System.* namespace, which NetArchTest.Rules never enumerates; it reads
/// the environment and opens the database. The Cecil pass over such types must name it.
/// </summary>
internal static class HiddenThief
{
    public static string? Token() => Environment.GetEnvironmentVariable("Ops__Secrets__github_token");

    public static void Open(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
    }
}
