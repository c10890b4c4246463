using Mono.Cecil;
using Ops.Architecture.Tests.Engine;
using Ops.Architecture.Tests.Layout;
using Ops.Core.Packs;

namespace Ops.Architecture.Tests;

/// <summary>The planted violations under tests/Fixtures/ArchViolations/, and one written here.</summary>
internal static class PlantedViolations
{
    public static PackProject Victim => Repository.Fixture("Ops.Packs.Victim");

    public static string VictimContracts => Repository.Fixture("Ops.Packs.Victim.Contracts").Assembly;

    public static PackProject Thief => Repository.Fixture("Ops.Packs.Thief");

    public static PackProject Evil => Repository.Fixture("Ops.Packs.Evil");

    public static string EvilContracts => Repository.Fixture("Ops.Packs.Evil.Contracts").Assembly;

    public static PackProject Leaky => Repository.Fixture("Ops.Packs.Leaky");

    public static string KernelReferencingPack => Repository.Fixture("ArchViolations.KernelReferencingPack").Assembly;

    public static string RogueWriter => Repository.Fixture("ArchViolations.RogueWriter").Assembly;

    public static string DependencyProbe => Repository.Fixture("ArchViolations.DependencyProbe").Assembly;

    /// <summary>The fixture pack implementations; each is "another pack" for the others.</summary>
    public static IReadOnlyList<string> PackImplementations => [Victim.Assembly, Thief.Assembly, Evil.Assembly, Leaky.Assembly];

    /// <summary>The install rules' view of a planted pack: its id, what it exports and depends on, its own assemblies.</summary>
    public static Ops.Verification.PackAssemblyContext ContextFor(string packId, string assemblyName, string[]? exports = null, string[]? dependsOn = null) =>
        new(packId, (exports ?? []).ToHashSet(StringComparer.Ordinal), (dependsOn ?? []).ToHashSet(StringComparer.Ordinal), new HashSet<string>([assemblyName, .. exports ?? []], StringComparer.Ordinal));

    private static readonly Lazy<string> Insider = new(WriteInsiderPack);

    /// <summary>
    /// Ops.Packs.Insider.dll, a pack whose types use Ops.Core internals, as an InternalsVisibleTo mistake
    /// (or a rewritten assembly) would let them. C# cannot compile that outside Ops.Core's friends, so the
    /// assembly is written with Mono.Cecil: <c>StorageSnooper</c> holds a type from Ops.Core.Storage,
    /// <c>LogTamperer</c> an internal type of Ops.Core.Log, <c>SecretPeeker</c> a type from Ops.Core.Secrets,
    /// and <c>Bystander</c> only the pack SDK's public types (no violation).
    /// </summary>
    public static string InsiderPack => Insider.Value;

    private static string WriteInsiderPack()
    {
        var core = AssemblyCache.Load(Repository.CoreAssembly).MainModule;
        var coreTypes = CecilTypes.AuthoredTypes(core).Where(t => t.DeclaringType is null).OrderBy(CecilTypes.NameOf, StringComparer.Ordinal).ToList();
        TypeDefinition First(string @namespace, bool internalOnly) =>
            coreTypes.FirstOrDefault(t => t.Namespace == @namespace && !(internalOnly && t.IsPublic))
                ?? throw new InvalidOperationException($"Ops.Core has no {(internalOnly ? "internal " : string.Empty)}type in {@namespace} to plant a use of.");

        var path = Path.Combine(AppContext.BaseDirectory, "planted", "Ops.Packs.Insider.dll");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var assembly = AssemblyDefinition.CreateAssembly(new AssemblyNameDefinition("Ops.Packs.Insider", new Version(1, 0, 0, 0)), "Ops.Packs.Insider", ModuleKind.Dll);
        var module = assembly.MainModule;
        var publicCoreType = AssemblyCache.Load(Repository.SdkAssembly).MainModule.GetType(typeof(IOpsPack).FullName);

        AddHolder(module, "StorageSnooper", First("Ops.Core.Storage", internalOnly: false));
        AddHolder(module, "LogTamperer", First("Ops.Core.Log", internalOnly: true));
        AddHolder(module, "SecretPeeker", First("Ops.Core.Secrets", internalOnly: false));
        AddHolder(module, "Bystander", publicCoreType);
        assembly.Write(path);
        return path;
    }

    /// <summary>An internal static class with one static field of <paramref name="fieldType"/>.</summary>
    private static void AddHolder(ModuleDefinition module, string name, TypeDefinition fieldType)
    {
        var holder = new TypeDefinition(
            "Ops.Packs.Insider",
            name,
            TypeAttributes.NotPublic | TypeAttributes.Abstract | TypeAttributes.Sealed | TypeAttributes.BeforeFieldInit,
            module.TypeSystem.Object);
        holder.Fields.Add(new FieldDefinition("Used", FieldAttributes.Private | FieldAttributes.Static, module.ImportReference(fieldType)));
        module.Types.Add(holder);
    }
}
