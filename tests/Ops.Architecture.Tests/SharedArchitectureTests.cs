using Ops.Architecture.Tests.Layout;
using Ops.Architecture.Tests.Rules;

namespace Ops.Architecture.Tests;

/// <summary>Constitution §7: ops-shared depends on ops-core only.</summary>
public sealed class SharedArchitectureTests
{
    [SharedFact]
    public void Shared_References_OnlyCore()
    {
        var result = ArchitectureRules.SharedReferencesOnlyCore(Repository.SharedAssembly!);

        Assert.True(result.IsSuccessful, result.Explain(ArchitectureRules.Shared));
    }

    [Fact]
    public void Shared_References_OnlyCore_FailsOnPlantedViolation()
    {
        var result = ArchitectureRules.SharedReferencesOnlyCore(PlantedViolations.KernelReferencingPack);

        Assert.False(result.IsSuccessful);
        Assert.Equal(["Ops.Packs.Victim"], result.ForbiddenReferences);
        Assert.Equal(["ArchViolations.KernelReferencingPack.KernelShortcut"], result.FailingTypeNames);
    }
}
