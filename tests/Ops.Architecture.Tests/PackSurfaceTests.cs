using Ops.Architecture.Tests.Layout;
using Ops.Architecture.Tests.Rules;

namespace Ops.Architecture.Tests;

/// <summary>
/// A pack implementation shows one public type, the entry type its pack.json names, which the host
/// creates and calls (STYLE.md 11: "implementation types are not public").
/// </summary>
public sealed class PackSurfaceTests
{
    [DiscoveredTheory(Discovered.PackImplementations)]
    [MemberData(nameof(Discovery.PackImplementations), MemberType = typeof(Discovery))]
    public void PackImplementation_TypesAreNotPublic_ExceptEntryType(string pack)
    {
        var project = Repository.Pack(pack);

        var result = ArchitectureRules.PackImplementationHidesAllButEntryType(project.Assembly, project.ReadEntryType());

        Assert.True(result.IsSuccessful, result.Explain(pack));
    }

    [Fact]
    public void PackImplementation_TypesAreNotPublic_ExceptEntryType_FailsOnPlantedViolation()
    {
        var leaky = PlantedViolations.Leaky;

        var result = ArchitectureRules.PackImplementationHidesAllButEntryType(leaky.Assembly, leaky.ReadEntryType());

        Assert.False(result.IsSuccessful);
        // LeakedInSystem is declared in System.Hidden, which NetArchTest skips: the Cecil pass names it.
        Assert.Equal(["Ops.Packs.Leaky.LeakedHandler", "System.Hidden.LeakedInSystem"], result.FailingTypeNames);
    }

    [DiscoveredTheory(Discovered.PackImplementations)]
    [MemberData(nameof(Discovery.PackImplementations), MemberType = typeof(Discovery))]
    public void Pack_EntryType_IsPublicCreatableOpsPack(string pack)
    {
        var project = Repository.Pack(pack);

        var result = ArchitectureRules.PackEntryTypeIsCreatableOpsPack(project.Assembly, project.ReadEntryType());

        Assert.True(result.IsSuccessful, result.Explain(pack));
    }

    [Fact]
    public void Pack_EntryType_IsPublicCreatableOpsPack_FailsOnPlantedViolation()
    {
        var leaky = PlantedViolations.Leaky;

        var result = ArchitectureRules.PackEntryTypeIsCreatableOpsPack(leaky.Assembly, leaky.ReadEntryType());

        Assert.False(result.IsSuccessful);
        Assert.Equal(["Ops.Packs.Leaky.LeakyPack"], result.FailingTypeNames);
        Assert.Contains("no public parameterless constructor", result.Explain("Ops.Packs.Leaky"), StringComparison.Ordinal);
    }

    [Fact]
    public void Pack_EntryType_IsPublicCreatableOpsPack_FailsWhenManifestNamesMissingType()
    {
        var result = ArchitectureRules.PackEntryTypeIsCreatableOpsPack(PlantedViolations.Leaky.Assembly, "Ops.Packs.Leaky.NoSuchPack");

        Assert.False(result.IsSuccessful);
        Assert.Equal(["Ops.Packs.Leaky.NoSuchPack"], result.FailingTypeNames);
    }

    [Fact]
    public void Pack_EntryType_IsPublicCreatableOpsPack_FailsWhenEntryTypeIsNotAnOpsPack()
    {
        // LeakedHandler is public and creatable but no IOpsPack.
        var result = ArchitectureRules.PackEntryTypeIsCreatableOpsPack(PlantedViolations.Leaky.Assembly, "Ops.Packs.Leaky.LeakedHandler");

        Assert.False(result.IsSuccessful);
        Assert.Contains("does not implement Ops.Core.Packs.IOpsPack", result.Explain("Ops.Packs.Leaky"), StringComparison.Ordinal);
    }
}
