using Ops.Architecture.Tests.Layout;
using Ops.Architecture.Tests.Rules;
using Ops.Verification;

namespace Ops.Architecture.Tests;

/// <summary>
/// Constitution §9 "no cheating", as the host enforces it at install and load: the same verifier
/// (src/Ops.Verification) on every pack of the repository, and each rule on a planted violation.
/// </summary>
public sealed class PackInstallRuleTests
{
    private static readonly PackAssemblyContext Evil = PlantedViolations.ContextFor("evil", "Ops.Packs.Evil");

    private static readonly Lazy<IReadOnlyList<PackFinding>> EvilFindings = new(() => ArchitectureRules.PackInstallRules(PlantedViolations.Evil.Assembly, Evil));

    [DiscoveredTheory(Discovered.PackImplementations)]
    [MemberData(nameof(Discovery.PackImplementations), MemberType = typeof(Discovery))]
    public void Pack_PassesTheInstallChecks_AsTheHostRunsThem(string pack)
    {
        // The build output folder is the pack folder: pack.json, the entry assembly and its contract module.
        var folder = Path.GetDirectoryName(Repository.Pack(pack).Assembly)!;

        var verification = new PackVerifier(PackSigningOptions.None).Verify(folder);

        Assert.True(verification.IsAccepted, string.Join(Environment.NewLine, verification.Findings));
        Assert.Contains(pack, verification.AssembliesChecked);
    }

    [Theory]
    [InlineData(PackRuleIds.DataAccess, "Ops.Packs.Evil.RawSqlStore", "Microsoft.Data.Sqlite.SqliteConnection")]
    [InlineData(PackRuleIds.DataAccess, "Ops.Packs.Evil.SideDbContext", "Microsoft.EntityFrameworkCore.DbContext")]
    [InlineData(PackRuleIds.Environment, "Ops.Packs.Evil.TokenThief", "System.Environment.GetEnvironmentVariable")]
    [InlineData(PackRuleIds.FileSystem, "Ops.Packs.Evil.KeyFileReader", "System.IO.File")]
    [InlineData(PackRuleIds.Process, "Ops.Packs.Evil.ProcessStarter", "System.Diagnostics.Process")]
    [InlineData(PackRuleIds.NativeInterop, "Ops.Packs.Evil.NativeCaller", "P/Invoke getpid (libc)")]
    [InlineData(PackRuleIds.Reflection, "Ops.Packs.Evil.CoreInternalsReflector", "System.Reflection.Assembly")]
    [InlineData(PackRuleIds.Reflection, "Ops.Packs.Evil.CoreInternalsReflector", "System.Type.GetProperty")]
    [InlineData(PackRuleIds.Reflection, "Ops.Packs.Evil.PrivateAccessor", "System.Runtime.CompilerServices.UnsafeAccessorAttribute")]
    [InlineData(PackRuleIds.Egress, "Ops.Packs.Evil.OwnHttpClient", "System.Net.Http.SocketsHttpHandler")]
    [InlineData(PackRuleIds.Egress, "Ops.Packs.Evil.OwnHttpClient", "System.Net.Http.HttpClient..ctor")]
    [InlineData(PackRuleIds.CoreInternals, "Ops.Packs.Evil.KernelReacher", "Ops.Core.Hosting.OpsRuntime")]
    public void InstallRule_FailsOnPlantedViolation_NamingFileTypeMemberAndDependency(string rule, string type, string dependency)
    {
        var finding = Assert.Single(EvilFindings.Value.Where(f => f.Rule == rule && f.TypeName == type && f.Dependency!.Contains(dependency, StringComparison.Ordinal)).Take(1));

        Assert.Equal("Ops.Packs.Evil.dll", finding.File);
        Assert.False(string.IsNullOrEmpty(finding.Member));
        Assert.Contains(type, finding.Message, StringComparison.Ordinal);
        Assert.Contains(dependency, finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InstallRules_DoNotName_TypesWithoutAViolation()
    {
        // Innocent reads only Environment.NewLine.
        Assert.DoesNotContain(EvilFindings.Value, f => f.TypeName == "Ops.Packs.Evil.Innocent");
    }

    [Fact]
    public void InstallRules_SeeCodeDeclaredInSystemNamespaces_WhichNetArchTestSkips()
    {
        var hidden = EvilFindings.Value.Where(f => f.TypeName == "System.Hidden.HiddenThief").Select(f => f.Rule).ToHashSet();

        Assert.Contains(PackRuleIds.Environment, hidden);
        Assert.Contains(PackRuleIds.DataAccess, hidden);
    }

    [Fact]
    public void InstallRule_DataAccess_FailsOnThePlantedReferences()
    {
        var references = EvilFindings.Value.Where(f => f.Rule == PackRuleIds.DataAccess && f.TypeName is null).Select(f => f.Dependency).ToList();

        Assert.Contains("Microsoft.Data.Sqlite", references);
        Assert.Contains("Microsoft.EntityFrameworkCore", references);
    }

    [Fact]
    public void InstallRule_DataAccess_FailsOnPlantedDataAccessInContracts()
    {
        var findings = ArchitectureRules.PackInstallRules(PlantedViolations.EvilContracts, PlantedViolations.ContextFor("evil", "Ops.Packs.Evil", exports: ["Ops.Packs.Evil.Contracts"]));

        Assert.Contains(findings, f => f.Rule == PackRuleIds.DataAccess && f.TypeName == "Ops.Packs.Evil.Contracts.RawConnectionContract");
        Assert.DoesNotContain(findings, f => f.TypeName == "Ops.Packs.Evil.Contracts.CleanContract");
    }

    [Fact]
    public void InstallRule_CoreInternals_FailsOnPlantedCoreInternals()
    {
        var findings = ArchitectureRules.PackInstallRules(PlantedViolations.InsiderPack, PlantedViolations.ContextFor("insider", "Ops.Packs.Insider"));

        // Bystander uses a public Ops.Core type only.
        Assert.Equal(
            ["Ops.Packs.Insider.LogTamperer", "Ops.Packs.Insider.SecretPeeker", "Ops.Packs.Insider.StorageSnooper"],
            findings.Where(f => f.Rule == PackRuleIds.CoreInternals).Select(f => f.TypeName).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void InstallRule_OtherPackImplementation_FailsOnPlantedViolation()
    {
        var context = PlantedViolations.ContextFor("thief", "Ops.Packs.Thief", dependsOn: ["Ops.Packs.Victim.Contracts"]);

        var findings = ArchitectureRules.PackInstallRules(PlantedViolations.Thief.Assembly, context);

        var finding = Assert.Single(findings);
        Assert.Equal(PackRuleIds.OtherPacks, finding.Rule);
        Assert.Equal("Ops.Packs.Victim", finding.Dependency);
    }

    [Fact]
    public void InstallRule_DeclaredContracts_FailsOnAnUndeclaredContractReference()
    {
        var undeclared = PlantedViolations.ContextFor("thief", "Ops.Packs.Thief");

        var findings = ArchitectureRules.PackInstallRules(PlantedViolations.Thief.Assembly, undeclared);

        var finding = Assert.Single(findings, f => f.Rule == PackRuleIds.DeclaredContracts);
        Assert.Equal("Ops.Packs.Victim.Contracts", finding.Dependency);
        Assert.Contains("add \"Ops.Packs.Victim.Contracts\" to depends_on", finding.Message, StringComparison.Ordinal);
    }
}
