using Ops.Architecture.Tests.Layout;
using Ops.Architecture.Tests.Rules;

namespace Ops.Architecture.Tests;

/// <summary>Constitution §7: ops-core depends on nothing of ours.</summary>
public sealed class CoreArchitectureTests
{
    [Fact]
    public void Core_DoesNotReference_OurOtherProjects()
    {
        var result = ArchitectureRules.CoreReferencesNoOtherProjectOfOurs(Repository.CoreAssembly);

        Assert.True(result.IsSuccessful, result.Explain(ArchitectureRules.Core));
    }

    [Fact]
    public void Core_DoesNotReference_OurOtherProjects_FailsOnPlantedViolation()
    {
        var result = ArchitectureRules.CoreReferencesNoOtherProjectOfOurs(PlantedViolations.KernelReferencingPack);

        Assert.False(result.IsSuccessful);
        Assert.Equal(["Ops.Packs.Victim"], result.ForbiddenReferences);
        Assert.Equal(["ArchViolations.KernelReferencingPack.KernelShortcut"], result.FailingTypeNames);
    }
}
