namespace Ops.Verification;

/// <summary>
/// The assemblies every pack gets from the host's default load context instead of its own folder
/// (DESIGN.md §4): the pack SDK (Ops.Abstractions), Ops.Core, Ops.Shared, Scrutor, the framework and Microsoft.Extensions.*. The loader
/// resolves references to these names from the host; a pack's build leaves them out of its folder
/// (AlignTrue.Ops.Pack.Build). A file of the folder that carries such a name is still checked like the pack's
/// own code (the loader may be pointed at it as the entry assembly), and its names are never resolved from it.
/// </summary>
public static class PackSharing
{
    /// <summary>The pack SDK's assembly name: the only kernel assembly a pack may name (issue 16 item 1).</summary>
    internal const string SdkAssembly = "Ops.Abstractions";

    private static readonly string[] SharedPrefixes = ["System", "Microsoft.Extensions.", "Microsoft.AspNetCore.", "netstandard", "mscorlib"];

    // EF Core and Microsoft.Data.Sqlite are not shared: a pack that reached them would reach the kernel's database.
    private static readonly string[] SharedNames = [SdkAssembly, "Ops.Core", "Ops.Shared", "Scrutor"];

    /// <summary>Whether the host's default context provides this assembly to every pack (the SDK, Ops.Core, the framework, Microsoft.Extensions.*).</summary>
    public static bool IsHostShared(string simpleName) =>
        SharedNames.Contains(simpleName, StringComparer.Ordinal) || SharedPrefixes.Any(p => simpleName.StartsWith(p, StringComparison.Ordinal));
}
