using System.Runtime.InteropServices;

namespace Ops.Packs.Evil;

/// <summary>Planted: P/Invoke into libc, outside every rule.</summary>
internal static partial class NativeCaller
{
    public static int Pid() => getpid();

    [DllImport("libc", EntryPoint = "getpid")]
#pragma warning disable CA5392, SYSLIB1054 // the planted violation is the point
    private static extern int getpid();
#pragma warning restore CA5392, SYSLIB1054
}
