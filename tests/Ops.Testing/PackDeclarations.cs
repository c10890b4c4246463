using System.Reflection;
using Ops.Core.Packs;
using Ops.Verification;

namespace Ops.Testing;

/// <summary>
/// What an in-process pack exports and depends on, read as the worker reads it (issue 16 item 8): from the
/// <c>pack.json</c> beside the pack's assembly when there is one for that assembly, else from the assembly's references by
/// the packaging convention: a referenced <c>*.Contracts</c> assembly named after the pack's own assembly
/// (<c>Acme.Invoices</c> → <c>Acme.Invoices.Contracts</c>) is exported, every other referenced <c>*.Contracts</c>
/// assembly is depended on.
/// </summary>
internal static class PackDeclarations
{
    private const string Contracts = ".Contracts";

    /// <summary>The pack's <c>exports</c> and <c>depends_on</c>.</summary>
    /// <exception cref="InvalidDataException">The pack.json beside the assembly is malformed (its problems named).</exception>
    public static (IReadOnlyList<string> Exports, IReadOnlyList<string> DependsOn) Of(IOpsPack pack)
    {
        var assembly = pack.GetType().Assembly;
        if (ManifestOf(assembly) is { } manifest)
        {
            return (manifest.Exports, manifest.DependsOn);
        }

        var own = assembly.GetName().Name + Contracts;
        var referenced = assembly.GetReferencedAssemblies().Select(a => a.Name ?? string.Empty).Where(n => n.EndsWith(Contracts, StringComparison.Ordinal)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return ([.. referenced.Where(n => n == own)], [.. referenced.Where(n => n != own)]);
    }

    /// <summary>
    /// The packs with their declarations, in the order the worker's loader would load them: a pack after the packs that
    /// export what it depends on; otherwise in the order given. A dependency nobody exports stays for the kernel to refuse.
    /// </summary>
    public static IReadOnlyList<(string PackId, IOpsPack Pack, IReadOnlyList<string> Exports, IReadOnlyList<string> DependsOn)> InLoadOrder(IEnumerable<(string PackId, IOpsPack Pack)> packs)
    {
        var pending = packs.Select(p => (p.PackId, p.Pack, Declared: Of(p.Pack))).Select(p => (p.PackId, p.Pack, p.Declared.Exports, p.Declared.DependsOn)).ToList();
        var exportedByAnyone = pending.SelectMany(p => p.Exports).ToHashSet(StringComparer.Ordinal);
        var loaded = new HashSet<string>(StringComparer.Ordinal);
        var ordered = new List<(string, IOpsPack, IReadOnlyList<string>, IReadOnlyList<string>)>();
        while (pending.Count > 0)
        {
            var next = pending.FindIndex(p => p.DependsOn.All(d => loaded.Contains(d) || !exportedByAnyone.Contains(d)));
            var index = next < 0 ? 0 : next;
            var pack = pending[index];
            pending.RemoveAt(index);
            loaded.UnionWith(pack.Exports);
            ordered.Add(pack);
        }

        return ordered;
    }

    private static PackManifest? ManifestOf(Assembly assembly)
    {
        if (string.IsNullOrEmpty(assembly.Location) || Path.GetDirectoryName(assembly.Location) is not { } directory)
        {
            return null;
        }

        var path = Path.Combine(directory, PackManifest.FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        var manifest = PackManifest.Read(path);
        return string.Equals(manifest.EntryAssembly, Path.GetFileName(assembly.Location), StringComparison.Ordinal) ? manifest : null;
    }
}
