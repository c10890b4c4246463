namespace Ops.Verification;

/// <summary>
/// The assemblies every pack gets from the host's default load context instead of its own folder
/// (DESIGN.md §4): Ops.Core, Ops.Shared, Scrutor, the framework and Microsoft.Extensions.*. The loader
/// resolves them from the host and the verifier does not check them as the pack's own code; a pack's
/// build leaves them out of its folder (build/package, AlignTrue.Ops.Pack.Build).
/// </summary>
public static class PackSharing
{
    private static readonly string[] SharedPrefixes = ["System", "Microsoft.Extensions.", "Microsoft.AspNetCore.", "netstandard", "mscorlib"];

    // EF Core and Microsoft.Data.Sqlite are not shared: a pack that reached them would reach the kernel's database.
    private static readonly string[] SharedNames = ["Ops.Core", "Ops.Shared", "Scrutor"];

    /// <summary>Whether the host's default context provides this assembly to every pack (Ops.Core, the framework, Microsoft.Extensions.*).</summary>
    public static bool IsHostShared(string simpleName) =>
        SharedNames.Contains(simpleName, StringComparer.Ordinal) || SharedPrefixes.Any(p => simpleName.StartsWith(p, StringComparison.Ordinal));
}
