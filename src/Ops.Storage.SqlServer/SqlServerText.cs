using System.Text;

namespace Ops.Storage.SqlServer;

/// <summary>
/// Keyed text columns on SQL Server are <c>varbinary</c> holding UTF-8 bytes, encoded here: SQL Server compares
/// varbinary byte by byte, which is the canonical order and the state hashes' order (UTF-8 bytes) with no
/// dependence on a collation, a code page or the client's varchar encoding. Columns that are only matched for
/// equality or only displayed stay <c>nvarchar</c>.
/// </summary>
internal static class SqlServerText
{
    public static byte[] Encode(string value) => Encoding.UTF8.GetBytes(value);

    public static string Decode(byte[] value) => Encoding.UTF8.GetString(value);

    /// <summary>
    /// The smallest byte string greater than every string that starts with <paramref name="prefix"/>: the prefix
    /// with its last byte below 0xFF raised by one (bytes after it dropped).
    /// </summary>
    public static byte[] PrefixUpperBound(string prefix)
    {
        var bytes = Encode(prefix);
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (bytes[i] != 0xFF)
            {
                var bound = bytes[..(i + 1)];
                bound[i]++;
                return bound;
            }
        }

        throw new ArgumentException("A prefix of only 0xFF bytes has no upper bound.", nameof(prefix));
    }
}

/// <summary>The error numbers the SQL Server engine tells errors apart by (never their message text).</summary>
internal static class SqlServerErrors
{
    /// <summary>Violation of a PRIMARY KEY or UNIQUE constraint.</summary>
    public const int UniqueConstraint = 2627;

    /// <summary>A duplicate key row in a unique index.</summary>
    public const int UniqueIndex = 2601;

    /// <summary>Raised by the append-only triggers: an UPDATE or DELETE of an append-only table.</summary>
    public const int AppendOnlyRefused = 51001;

    /// <summary>Raised by S0001's Down: the log holds rows.</summary>
    public const int MigrationRefused = 51002;

    /// <summary>Raised when sp_getapplock does not grant the chain's or the projections' lock.</summary>
    public const int LockNotGranted = 51003;
}
