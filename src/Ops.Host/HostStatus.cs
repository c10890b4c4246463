using System.Globalization;
using System.Text;
using Ops.Core.Hosting;
using Ops.Host.Packs;

namespace Ops.Host;

/// <summary>What a worker runs on, in a few lines: the start-up line of the worker and the output of <c>status</c> for a stopped one.</summary>
internal static class HostStatus
{
    public static async Task<string> DescribeAsync(OpsKernel kernel, PackLoader loader, CancellationToken cancellationToken)
    {
        var core = await kernel.CoreReader.CurrentAsync(cancellationToken);
        var head = await kernel.EventLog.HeadPositionAsync(cancellationToken);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"database: {kernel.EngineFor("event_log").Description} ({kernel.EngineFor("event_log").Provider}), {head} events; mode {kernel.Options.Mode}");
        text.AppendLine().Append("routes: ").AppendJoin(", ", kernel.Routes.All.OrderBy(r => r.ResourceKind, StringComparer.Ordinal).Select(r => $"{r.ResourceKind}={r.Label}"));
        var packs = kernel.Registry.Packs.Where(p => p.PackId != "core").Select(p => $"{p.PackId} {p.Version}").ToList();
        text.AppendLine().Append("packs: ").Append(packs.Count == 0 ? "none" : string.Join(", ", packs));
        if (loader.Refused.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" ({loader.Refused.Count} refused: {string.Join(", ", loader.Refused.Select(r => r.PackId))}; see 'packs list')");
        }

        text.AppendLine().Append(core.Actors.IsEmpty
            ? "initialized: no (run 'init' to create the first admin and its keys)"
            : string.Create(CultureInfo.InvariantCulture, $"initialized: yes ({core.Actors.Count} actors)"));
        return text.ToString();
    }
}
