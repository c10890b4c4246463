using System.Runtime.CompilerServices;
using Ops.Core.Storage;

namespace Ops.Storage.Sqlite;

/// <summary>
/// One in-process gate per database for the writers of this process (the log writer and the
/// projection engine). SQLite admits one write transaction per file at a time; without this gate two
/// writers of one process find each other through SQLite's busy handler, which sleeps (1, 2, 5, 10 ms
/// ...) before retrying, and that sleep, not the disk, was the latency of every command while
/// projections caught up (docs/performance.md). Writers of other processes still meet SQLite's lock.
/// </summary>
internal static class WriteGate
{
    private static readonly ConditionalWeakTable<SqliteDatabase, SemaphoreSlim> Gates = [];

    public static SemaphoreSlim For(SqliteDatabase database) => Gates.GetValue(database, static _ => new SemaphoreSlim(1, 1));
}
