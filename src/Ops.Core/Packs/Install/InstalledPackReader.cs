using System.Collections.Immutable;
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
    public static InstalledPackSet Read(RoutingRegistry routes, KernelOptions options)
    {
        var route = routes.Resolve("event_log");
        using var engine = routes.Providers.Open(route, new StorageContext(options.Synchronous, TimeProvider.System));
        if (engine.IsInMemory || engine.AppliedMigrations().Count == 0)
        {
            // A private in-memory log starts empty in every process, and an unmigrated one holds nothing: nothing is installed yet.
            return new InstalledPackSet(InstalledPacks.Empty, InstalledPacks.NoContracts);
        }

        var core = CoreState.Empty;
        try
        {
            foreach (var logged in engine.Events.ReadStreamsWithPrefixAsync("core:pack-", CancellationToken.None).ToBlockingEnumerable())
            {
                core = core.ApplyStored(logged);
            }
        }
        catch (Errors.OpsException ex) when (ex.Code == Errors.ReasonCodes.RowUnreadable)
        {
            // The packs before the damaged row, so 'log verify' can still open and say where it is; the writer folds the
            // same core row at open and refuses every write and the worker's start on it.
            return new InstalledPackSet(core.Packs, core.Contracts);
        }

        return new InstalledPackSet(core.Packs, core.Contracts);
    }
}
