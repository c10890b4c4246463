using Mono.Cecil;
using Ops.Architecture.Tests.Engine;
using Ops.Core.Packs;
using Ops.Verification;

namespace Ops.Architecture.Tests.Rules;

/// <summary>
/// The dependency graph of constitution §7 and the "no cheating" rules of §9, as functions of compiled
/// assemblies. Tests run them on the real projects and on the planted violations under
/// tests/Fixtures/ArchViolations/. Each rule looks twice: at the assembly references (the graph a
/// reader sees) and at type level (what the code actually uses).
/// <para>Engines, and why (RuleEngineTests measures the difference):</para>
/// <list type="bullet">
/// <item><b>NetArchTest.Rules 1.3.2</b> (the design card's package, through <see cref="NetArchRules"/>) for the
/// rules on a type's own shape: 7a, 7b and 8, with custom rules where the fluent API has no condition.</item>
/// <item><b>Mono.Cecil</b> (<see cref="DependencyRules"/>) for the dependency rules 1 to 4: NetArchTest's scan misses
/// a type named only in an attribute's <c>typeof</c> argument or a <c>catch</c> clause, and skips every type declared
/// in a System.* or Microsoft.* namespace; each would let a forbidden dependency through.</item>
/// <item>The install rules 5 and 6 are src/Ops.Verification's (NetArchTest for type-level deny lists, Cecil for members).</item>
/// </list>
/// </summary>
internal static class ArchitectureRules
{
    public const string Core = "Ops.Core";

    /// <summary>The pack SDK (issue 16 item 1): its types keep the Ops.Core.* namespaces, in an assembly of their own.</summary>
    public const string Sdk = "Ops.Abstractions";
    public const string Shared = "Ops.Shared";
    public const string Host = "Ops.Host";
    public const string PacksNamespace = "Ops.Packs";

    /// <summary>
    /// The Microsoft.Extensions packages the pack SDK may reference, because its API names their types (IServiceCollection,
    /// IConfiguration, ILogger; Primitives comes with Configuration): abstractions only, never an implementation
    /// (docs/adr/0009-pack-sdk-assembly.md).
    /// </summary>
    public static readonly IReadOnlySet<string> SdkExtensionsAbstractions = new HashSet<string>(StringComparer.Ordinal)
    {
        "Microsoft.Extensions.DependencyInjection.Abstractions",
        "Microsoft.Extensions.Configuration.Abstractions",
        "Microsoft.Extensions.Logging.Abstractions",
        "Microsoft.Extensions.Primitives",
    };

    /// <summary>
    /// Rule 0 (issue 16 item 1). The pack SDK references the base class library and the Microsoft.Extensions
    /// abstractions its API names, nothing else: no project of ours, no EF Core, database driver, Polly or hosting.
    /// </summary>
    public static RuleResult SdkReferencesOnlyBaseClassLibrary(string sdkAssembly) =>
        new(
            [.. AssemblyGraph.ReferencesOf(sdkAssembly).Where(r => !IsBaseClassLibrary(r) && !SdkExtensionsAbstractions.Contains(r))],
            DependencyRules.NotHaveDependencyOnAny(sdkAssembly, ["Microsoft.EntityFrameworkCore", "Microsoft.Data", "Npgsql", "Polly", "Microsoft.Extensions.Hosting", "Microsoft.AspNetCore", "Ops.Packs"]));

    /// <summary>Rule 1. Ops.Core references no project of ours but the pack SDK it implements: not Ops.Shared, not Ops.Host, no pack.</summary>
    public static RuleResult CoreReferencesNoOtherProjectOfOurs(string coreAssembly) =>
        new(
            [.. AssemblyGraph.ReferencesOf(coreAssembly).Where(r => IsOurs(r) && r != Sdk)],
            DependencyRules.NotHaveDependencyOnAny(coreAssembly, [Shared, Host, PacksNamespace]));

    /// <summary>Rule 2. Ops.Shared references the pack SDK and no other project of ours (not Ops.Core: packs load it).</summary>
    public static RuleResult SharedReferencesOnlyCore(string sharedAssembly) =>
        new(
            [.. AssemblyGraph.ReferencesOf(sharedAssembly).Where(r => IsOurs(r) && r != Sdk)],
            DependencyRules.NotHaveDependencyOnAny(sharedAssembly, [Host, PacksNamespace]));

    /// <summary>
    /// Rule 3. A pack implementation references the pack SDK (Ops.Abstractions), optionally Ops.Shared, and contract
    /// modules (its own and other packs'); never Ops.Core, another pack's implementation or Ops.Host.
    /// </summary>
    /// <param name="packAssembly">The implementation under test.</param>
    /// <param name="otherPackAssemblies">The other packs' implementations: their types are forbidden.</param>
    public static RuleResult PackReferencesOnlyCoreSharedAndContracts(string packAssembly, IEnumerable<string> otherPackAssemblies) =>
        new(
            [.. AssemblyGraph.ReferencesOf(packAssembly).Where(r => IsOurs(r) && r != Sdk && r != Shared && !IsContracts(r))],
            DependencyRules.NotHaveDependencyOnAny(packAssembly, [Host, .. otherPackAssemblies.SelectMany(AuthoredTypeNames)]));

    /// <summary>Rule 4. A contract module references only the pack SDK (whose namespaces are Ops.Core.*) and the base class library.</summary>
    public static RuleResult ContractsReferenceOnlyCore(string contractsAssembly) =>
        new(
            [.. AssemblyGraph.ReferencesOf(contractsAssembly).Where(r => r != Sdk && !IsBaseClassLibrary(r))],
            DependencyRules.OnlyHaveDependenciesOn(contractsAssembly, ["System", Core, .. AuthoredTypeNames(contractsAssembly)]));

    /// <summary>
    /// Rules 5 and 6 (constitution §9 "no cheating": no data access, no Ops.Core internals, no environment,
    /// files, processes, native code, reflection or egress bypass, no undeclared contracts) are not written
    /// here: they are the install checks of Ops.Host (<see cref="PackRules"/>), which the host runs on every
    /// pack before it activates it. The tests run that same rule set, so there is one source of truth.
    /// </summary>
    public static IReadOnlyList<PackFinding> PackInstallRules(string assemblyPath, PackAssemblyContext context)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath, PackRules.ReaderParameters);
        return PackRules.Check(module, context, Path.GetFileName(assemblyPath));
    }

    /// <summary>Rule 7a. A pack implementation's types are not public, except the entry type its pack.json names.</summary>
    public static RuleResult PackImplementationHidesAllButEntryType(string packAssembly, string entryType) =>
        new([], NetArchRules.MeetCustomRule(packAssembly, new IsNotVisibleOutsideAssembly(), t => CecilTypes.NameOf(t) != entryType));

    /// <summary>Rule 7b. The entry type exists, is public, implements IOpsPack and has a public parameterless constructor.</summary>
    public static RuleResult PackEntryTypeIsCreatableOpsPack(string packAssembly, string entryType)
    {
        bool IsEntry(TypeDefinition type) => CecilTypes.NameOf(type) == entryType;
        if (NetArchRules.Select(packAssembly, IsEntry).Count == 0)
        {
            // Also when the entry type is declared where NetArchTest does not look (System.*): refused, not skipped.
            return new([], TestResult.Failure(new Dictionary<string, IReadOnlyList<string>>
            {
                [entryType] = [$"is the entry_type of pack.json but {Path.GetFileName(packAssembly)} defines no such type"],
            }));
        }

        var implementsPack = NetArchRules.FailingTypeNames(NetArchTest.Rules.Types.FromFile(packAssembly)
            .That().MeetCustomRule(new NetArchRules.Predicate(IsEntry))
            .Should().ImplementInterface(typeof(IOpsPack))
            .GetResult());
        var reasons = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string type, IEnumerable<string> why)
        {
            if (!reasons.TryGetValue(type, out var list))
            {
                reasons[type] = list = [];
            }

            list.AddRange(why);
        }

        foreach (var type in implementsPack)
        {
            Add(type, ["does not implement " + typeof(IOpsPack).FullName]);
        }

        foreach (var (type, why) in NetArchRules.MeetCustomRule(packAssembly, new IsVisibleOutsideAssembly(), IsEntry).Reasons
            .Concat(NetArchRules.MeetCustomRule(packAssembly, new HasPublicParameterlessConstructor(), IsEntry).Reasons))
        {
            Add(type, why);
        }

        return new([], reasons.Count == 0
            ? TestResult.Success()
            : TestResult.Failure(reasons.ToDictionary(r => r.Key, r => (IReadOnlyList<string>)r.Value, StringComparer.Ordinal)));
    }

    /// <summary>
    /// Rule 8 (DESIGN.md §7, seed 004). Every type of a kernel assembly (Ops.Core, Ops.Shared, Ops.Host) that
    /// commits state declares its authority class, and writes only the tables that declaration lists.
    /// </summary>
    public static RuleResult KernelWritesOnlyUnderDeclaredAuthority(string kernelAssembly) =>
        new([], NetArchRules.MeetCustomRule(kernelAssembly, new WritesOnlyUnderDeclaredAuthority()));

    /// <summary>Our projects: Ops.Abstractions, Ops.Core, Ops.Shared, Ops.Host and every Ops.Packs.* assembly.</summary>
    public static bool IsOurs(string assemblyName) => assemblyName.StartsWith("Ops.", StringComparison.Ordinal);

    private static bool IsContracts(string assemblyName) =>
        assemblyName.StartsWith(PacksNamespace + ".", StringComparison.Ordinal) && assemblyName.EndsWith(".Contracts", StringComparison.Ordinal);

    private static bool IsBaseClassLibrary(string assemblyName) =>
        assemblyName is "System" or "mscorlib" or "netstandard"
            || assemblyName.StartsWith("System.", StringComparison.Ordinal)
            || assemblyName.StartsWith("Microsoft.Win32.", StringComparison.Ordinal);

    /// <summary>
    /// The full names of the types an assembly's authors wrote. System.* and Microsoft.* are left out:
    /// compilers and source generators put their own copies of such types into every assembly.
    /// </summary>
    private static IEnumerable<string> AuthoredTypeNames(string assembly) =>
        DependencyRules.AuthoredTypeNames(assembly)
            .Where(n => !CecilTypes.IsUnder(n, "System") && !CecilTypes.IsUnder(n, "Microsoft"));
}
