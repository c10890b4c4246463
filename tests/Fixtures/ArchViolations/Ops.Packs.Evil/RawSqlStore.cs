using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Ops.Packs.Evil;

/// <summary>Planted: raw SQL against the kernel's database, through an ADO.NET provider.</summary>
internal static class RawSqlStore
{
    public static int Wipe(string connectionString)
    {
        using DbConnection connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM events";
        return command.ExecuteNonQuery();
    }
}
