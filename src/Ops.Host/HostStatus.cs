using System.Globalization;
using System.Text;
using Ops.Core.Hosting;
using Ops.Host.Packs;

namespace Ops.Host;

/// <summary>What a worker runs on, in a few lines: the start-up line of the worker and the output of <c>status</c> for a stopped one.</summary>
internal static class HostStatus
{
    public static async Task<string> DescribeAsync(OpsSession kernel, CancellationToken cancellationToken)
    {
        var status = await kernel.Runtime.StatusAsync(cancellationToken);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"database: {status.Database} ({status.Provider}), {status.HeadPosition} events; mode {status.Mode}");
        text.AppendLine().Append("routes: ").AppendJoin(", ", status.Routes.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key}={r.Value}"));
        var loader = kernel.Loader;
        // A verb that loads no pack code (issue 16 item 3) reports the installed packs that pass every check as such.
        var packs = kernel.Runtime.Catalog.Packs.Select(p => $"{p.PackId} {p.Version}")
            .Concat(loader.NotLoaded.Select(p => $"{p.PackId} {p.Version} (checked; loads in the worker)"))
            .ToList();
        text.AppendLine().Append("packs: ").Append(packs.Count == 0 ? "none" : string.Join(", ", packs));
        if (loader.Refused.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" ({loader.Refused.Count} refused: {string.Join(", ", loader.Refused.Select(r => r.PackId))}; see 'packs list')");
        }

        text.AppendLine().Append(status.Actors == 0
            ? "initialized: no (run 'init' to create the first admin and its keys)"
            : string.Create(CultureInfo.InvariantCulture, $"initialized: yes ({status.Actors} actors)"));
        return text.ToString();
    }
}
