using System.Data.Common;

#pragma warning disable IDE0130 // the namespace is the planted violation
namespace System.Hidden;
#pragma warning restore IDE0130

/// <summary>
/// Planted: a writer without an authority class, declared in a System.* namespace, which NetArchTest.Rules
/// never enumerates. The Cecil pass over such types must name it.
/// </summary>
internal static class HiddenWriter
{
    public static int Append(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO events (event_id) VALUES ($id)";
        return command.ExecuteNonQuery();
    }
}
