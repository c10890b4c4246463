using Ops.Core.Packs;

namespace Ops.Packs.Evil;

/// <summary>Planted: reflection over Ops.Core's internals (the kernel type and its log writer).</summary>
internal static class CoreInternalsReflector
{
    public static object? Writer(object kernel) =>
        typeof(IOpsPack).Assembly.GetType("Ops.Core.Hosting.OpsKernel")?.GetProperty("Writer")?.GetValue(kernel);
}
