using Ops.Core.Hosting;

namespace Ops.Packs.Evil;

/// <summary>Planted: names a type of Ops.Core itself (the kernel's host face), not of the pack SDK (issue 16 item 1).</summary>
internal static class KernelReacher
{
    public static OpsRuntime? Runtime { get; set; }
}
