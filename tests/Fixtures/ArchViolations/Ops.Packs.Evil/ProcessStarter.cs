using System.Diagnostics;

namespace Ops.Packs.Evil;

/// <summary>Planted: starts a process.</summary>
internal static class ProcessStarter
{
    public static void Run() => Process.Start("sh", "-c true")?.Dispose();
}
