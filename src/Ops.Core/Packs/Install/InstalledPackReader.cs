using System.Collections.Immutable;
using Microsoft.Extensions.Configuration;
using Ops.Core.Capabilities;
using Ops.Core.Hosting;
using Ops.Core.Log;
using Ops.Core.Routing;
using Ops.Core.Storage;

namespace Ops.Core.Packs.Install;

/// <summary>
/// Reads which packs the log records as installed before the kernel opens: the host must know them to
/// build the registry that the kernel is opened with. Read-only; it folds the <c>core:pack-*</c> streams
/// with the same <see cref="CoreState.Apply"/> the writer uses, so there is one definition of the state.
/// </summary>
internal static class InstalledPackReader
{
    public static ImmutableDictionary<string, PackInstalled> Read(IConfiguration configuration, string contentRoot)
    {
        var opsSection = configuration.GetSection("Ops");
        var options = new KernelOptions();
        opsSection.Bind(options);
        var route = new RoutingRegistry(opsSection, options.Mode, contentRoot).Resolve("event_log");
        using var database = new SqliteDatabase(route.ConnectionString, options.Synchronous);
        if (database.IsInMemory)
        {
            // A private in-memory log starts empty in every process: nothing can be installed in it yet.
            return InstalledPacks.Empty;
        }

        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'events'";
        if ((long)command.ExecuteScalar()! == 0)
        {
            return InstalledPacks.Empty;
        }

        // Pack streams are core:pack-<id>; '-' < '.' bounds the range on the stream index.
        command.CommandText = $"SELECT {SqliteEventLog.SelectColumns} FROM events WHERE stream_id >= 'core:pack-' AND stream_id < 'core:pack.' ORDER BY position";
        var core = CoreState.Empty;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            core = core.Apply(SqliteEventLog.Read(reader));
        }

        return core.Packs;
    }
}
