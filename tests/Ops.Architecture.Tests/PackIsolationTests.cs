using Ops.Architecture.Tests.Layout;
using Ops.Architecture.Tests.Rules;

namespace Ops.Architecture.Tests;

/// <summary>
/// Constitution §9 "no cheating": no raw DB access from packs (EF Core, ADO.NET, Ops.Core's storage and
/// secrets internals) and no raw credential access. Over every pack assembly, contracts included.
/// </summary>
public sealed class PackIsolationTests
{
    [DiscoveredTheory(Discovered.PackAssemblies)]
    [MemberData(nameof(Discovery.PackAssemblies), MemberType = typeof(Discovery))]
    public void Pack_DoesNotDependOn_DataAccessOrCoreInternals(string assembly)
    {
        var result = ArchitectureRules.PackAvoidsDataAccessAndCoreInternals(Discovery.AssemblyOf(assembly), Repository.CoreAssembly);

        Assert.True(result.IsSuccessful, result.Explain(assembly));
    }

    [Fact]
    public void Pack_DoesNotDependOn_DataAccessOrCoreInternals_FailsOnPlantedDataAccess()
    {
        var result = ArchitectureRules.PackAvoidsDataAccessAndCoreInternals(PlantedViolations.Evil.Assembly, Repository.CoreAssembly);

        Assert.False(result.IsSuccessful);
        Assert.Contains("Microsoft.Data.Sqlite", result.ForbiddenReferences);
        Assert.Contains("Microsoft.EntityFrameworkCore", result.ForbiddenReferences);
        Assert.Equal(["Ops.Packs.Evil.RawSqlStore", "Ops.Packs.Evil.SideDbContext"], result.FailingTypeNames);
    }

    [Fact]
    public void Pack_DoesNotDependOn_DataAccessOrCoreInternals_FailsOnPlantedDataAccessInContracts()
    {
        var result = ArchitectureRules.PackAvoidsDataAccessAndCoreInternals(PlantedViolations.EvilContracts, Repository.CoreAssembly);

        Assert.False(result.IsSuccessful);
        Assert.Equal(["Ops.Packs.Evil.Contracts.RawConnectionContract"], result.FailingTypeNames);
    }

    [Fact]
    public void Pack_DoesNotDependOn_DataAccessOrCoreInternals_FailsOnPlantedCoreInternals()
    {
        var result = ArchitectureRules.PackAvoidsDataAccessAndCoreInternals(PlantedViolations.InsiderPack, Repository.CoreAssembly);

        Assert.False(result.IsSuccessful);
        // Bystander uses a public Ops.Core type only.
        Assert.Equal(
            ["Ops.Packs.Insider.LogTamperer", "Ops.Packs.Insider.SecretPeeker", "Ops.Packs.Insider.StorageSnooper"],
            result.FailingTypeNames);
    }

    [DiscoveredTheory(Discovered.PackAssemblies)]
    [MemberData(nameof(Discovery.PackAssemblies), MemberType = typeof(Discovery))]
    public void Pack_DoesNotRead_RawCredentials(string assembly)
    {
        var result = ArchitectureRules.PackReadsNoRawCredentials(Discovery.AssemblyOf(assembly));

        Assert.True(result.IsSuccessful, result.Explain(assembly));
    }

    [Fact]
    public void Pack_DoesNotRead_RawCredentials_FailsOnPlantedViolation()
    {
        var result = ArchitectureRules.PackReadsNoRawCredentials(PlantedViolations.Evil.Assembly);

        Assert.False(result.IsSuccessful);
        // TokenThief reads inside a lambda, KeyFileReader inside an async state machine; Innocent only reads Environment.NewLine.
        Assert.Equal(["Ops.Packs.Evil.KeyFileReader", "Ops.Packs.Evil.TokenThief"], result.FailingTypeNames);
    }
}
