using Ops.Architecture.Tests.Engine;
using Ops.Architecture.Tests.Layout;
using Ops.Architecture.Tests.Rules;
using NetArch = NetArchTest.Rules;

namespace Ops.Architecture.Tests;

/// <summary>
/// The rules are only as good as the dependency scans and the fixtures; these tests check both engines on the
/// same probes (one type per way of depending on a type), and so say which rules may run on NetArchTest.
/// </summary>
public sealed class RuleEngineTests
{
    private const string Probes = "ArchViolations.DependencyProbe.Probes";
    private const string Target = "ArchViolations.DependencyProbe.Target";

    /// <summary>The ways NetArchTest.Rules 1.3.2's scan does not see; the reason rules 1 to 4 stay on Cecil.</summary>
    private static readonly string[] NetArchTestMisses = ["ViaAttributeArgument", "ViaCatch"];

    private static readonly Lazy<TestResult> CecilResult = new(() =>
        DependencyRules.NotHaveDependencyOnAny(PlantedViolations.DependencyProbe, [Target], t => CecilTypes.IsUnder(CecilTypes.NamespaceOf(t), Probes)));

    private static readonly Lazy<IReadOnlyList<string>> NetArchTestFailing = new(() =>
        [.. NetArchRules.FailingTypeNames(NetArch.Types.FromFile(PlantedViolations.DependencyProbe)
            .That().ResideInNamespace(Probes)
            .Should().NotHaveDependencyOnAny(Target)
            .GetResult())]);

    private static readonly string[] Ways =
    [
        "ViaBaseType", "ViaInterface", "ViaField", "ViaProperty", "ViaParameter", "ViaReturnType", "ViaGenericArgument", "ViaGenericConstraint",
        "ViaStaticCall", "ViaNewObject", "ViaTypeof", "ViaStaticField", "ViaMethodGroup", "ViaAttribute", "ViaAttributeArgument", "ViaCatch",
        "ViaLambda", "ViaAsyncMethod", "ViaNestedType+Inner",
    ];

    public static TheoryData<string> AllWays => new(Ways);

    public static TheoryData<string> WaysNetArchTestSees => new(Ways.Except(NetArchTestMisses));

    [Theory]
    [MemberData(nameof(AllWays))]
    public void CecilDependencyScan_Finds_EachWayOfDependingOnAType(string probe)
    {
        Assert.Contains($"{Probes}.{probe}", CecilResult.Value.FailingTypeNames);
    }

    [Theory]
    [MemberData(nameof(WaysNetArchTestSees))]
    public void NetArchTestDependencyScan_Finds_TheWaysItSees(string probe)
    {
        Assert.Contains($"{Probes}.{probe}", NetArchTestFailing.Value);
    }

    [Fact]
    public void NetArchTestDependencyScan_Misses_ExactlyAttributeArgumentsAndCatchClauses()
    {
        // If a NetArchTest upgrade sees these too, rules 1 to 4 can move to it (ArchitectureRules' summary).
        var missed = CecilResult.Value.FailingTypeNames.Except(NetArchTestFailing.Value).Select(n => n[(Probes.Length + 1)..]);

        Assert.Equal(NetArchTestMisses, missed.Order(StringComparer.Ordinal));
        Assert.Equal(Ways.Length, CecilResult.Value.FailingTypeNames.Count);
    }

    [Fact]
    public void DependencyScans_DoNotName_TypesWithoutTheDependency()
    {
        string[] clean = [$"{Probes}.Clean", $"{Probes}.ViaNestedType"];

        Assert.All(clean, c => Assert.DoesNotContain(c, CecilResult.Value.FailingTypeNames));
        Assert.All(clean, c => Assert.DoesNotContain(c, NetArchTestFailing.Value));
    }

    [Fact]
    public void NetArchTest_NeverEnumerates_OpsCoreTypesInSystemOrMicrosoftNamespaces()
    {
        // The gap NetArchRules fills with Cecil, and a reason rules 1 to 4 stay on Cecil: Ops.Core declares
        // authored types in Microsoft.Extensions.DependencyInjection, which NetArchTest skips.
        var unseen = DependencyRules.AuthoredTypeNames(Repository.CoreAssembly).Except(NetArchRules.EnumeratedBy(Repository.CoreAssembly)).ToList();

        Assert.Contains(unseen, n => CecilTypes.IsUnder(n, "Microsoft.Extensions.DependencyInjection"));
        Assert.All(unseen, n => Assert.True(CecilTypes.IsUnder(n, "System") || CecilTypes.IsUnder(n, "Microsoft"), n));
    }

    [Fact]
    public void FixturePack_WellBehaved_PassesEveryPackRule()
    {
        // A control: the planted-violation tests mean something only if a clean pack passes the same rules.
        var victim = PlantedViolations.Victim;
        var others = PlantedViolations.PackImplementations.Where(p => p != victim.Assembly);
        RuleResult[] results =
        [
            ArchitectureRules.PackReferencesOnlyCoreSharedAndContracts(victim.Assembly, others),
            ArchitectureRules.ContractsReferenceOnlyCore(PlantedViolations.VictimContracts),
            ArchitectureRules.PackImplementationHidesAllButEntryType(victim.Assembly, victim.ReadEntryType()),
            ArchitectureRules.PackEntryTypeIsCreatableOpsPack(victim.Assembly, victim.ReadEntryType()),
        ];

        Assert.All(results, r => Assert.True(r.IsSuccessful, r.Explain("Ops.Packs.Victim")));
        var context = PlantedViolations.ContextFor("victim", "Ops.Packs.Victim", exports: ["Ops.Packs.Victim.Contracts"]);
        Assert.Empty(ArchitectureRules.PackInstallRules(victim.Assembly, context));
        Assert.Empty(ArchitectureRules.PackInstallRules(PlantedViolations.VictimContracts, context));
    }
}
