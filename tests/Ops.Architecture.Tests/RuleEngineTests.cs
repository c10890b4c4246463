using Ops.Architecture.Tests.Engine;
using Ops.Architecture.Tests.Rules;

namespace Ops.Architecture.Tests;

/// <summary>The rules are only as good as the dependency scan and the fixtures; these tests check both.</summary>
public sealed class RuleEngineTests
{
    private const string Probes = "ArchViolations.DependencyProbe.Probes";
    private const string Target = "ArchViolations.DependencyProbe.Target";

    private static readonly Lazy<TestResult> ProbeResult = new(() =>
        Types.InAssembly(PlantedViolations.DependencyProbe).That().ResideInNamespace(Probes).Should().NotHaveDependencyOnAny(Target).GetResult());

    [Theory]
    [InlineData("ViaBaseType")]
    [InlineData("ViaInterface")]
    [InlineData("ViaField")]
    [InlineData("ViaProperty")]
    [InlineData("ViaParameter")]
    [InlineData("ViaReturnType")]
    [InlineData("ViaGenericArgument")]
    [InlineData("ViaGenericConstraint")]
    [InlineData("ViaStaticCall")]
    [InlineData("ViaNewObject")]
    [InlineData("ViaTypeof")]
    [InlineData("ViaStaticField")]
    [InlineData("ViaMethodGroup")]
    [InlineData("ViaAttribute")]
    [InlineData("ViaAttributeArgument")]
    [InlineData("ViaCatch")]
    [InlineData("ViaLambda")]
    [InlineData("ViaAsyncMethod")]
    [InlineData("ViaNestedType+Inner")]
    public void DependencyScan_Finds_EachWayOfDependingOnAType(string probe)
    {
        Assert.Contains($"{Probes}.{probe}", ProbeResult.Value.FailingTypeNames);
    }

    [Fact]
    public void DependencyScan_DoesNotName_TypesWithoutTheDependency()
    {
        Assert.DoesNotContain($"{Probes}.Clean", ProbeResult.Value.FailingTypeNames);
        Assert.DoesNotContain($"{Probes}.ViaNestedType", ProbeResult.Value.FailingTypeNames);
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
