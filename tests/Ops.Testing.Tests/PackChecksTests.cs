using Ops.TestKit.Echo;
using Ops.TestKit.Echo.Contracts;

namespace Ops.Testing.Tests;

public sealed class PackChecksTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ops-packchecks-").FullName;

    [Fact]
    public void VerifyAssemblies_EchoPack_Passes()
    {
        var manifest = Manifest("echo", "Ops.TestKit.Echo.Contracts");

        var result = PackChecks.VerifyAssemblies(manifest, typeof(EchoPack).Assembly.Location, typeof(Shout).Assembly.Location);

        Assert.True(result.Passed, result.ToString());
        Assert.Equal(["Ops.TestKit.Echo", "Ops.TestKit.Echo.Contracts"], result.AssembliesChecked);
    }

    [Fact]
    public void VerifyAssemblies_AssemblyThatReadsAFile_NamesTheRuleTheTypeAndTheDependency()
    {
        var manifest = Manifest("planted");

        var result = PackChecks.VerifyAssemblies(manifest, typeof(ReadsAFile).Assembly.Location);

        Assert.False(result.Passed);
        var violation = Assert.Single(result.Violations, v => v.TypeName == typeof(ReadsAFile).FullName && v.Rule == "no-file-system");
        Assert.Equal("System.IO.File", violation.Dependency);
        Assert.Contains("[no-file-system]", result.ToString(), StringComparison.Ordinal);
        Assert.Throws<PackSpecException>(result.ThrowIfFailed);
    }

    [Fact]
    public void VerifyFolder_FolderWithoutManifest_FailsTheManifestCheck()
    {
        var result = PackChecks.VerifyFolder(_folder);

        Assert.Equal("manifest", Assert.Single(result.Violations).Rule);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Manifest(string packId, params string[] exports)
    {
        var path = Path.Combine(_folder, "pack.json");
        File.WriteAllText(path, $$"""{"pack_id":"{{packId}}","version":"1.0.0","entry_assembly":"x.dll","entry_type":"X","exports":[{{string.Join(",", exports.Select(e => $"\"{e}\""))}}],"depends_on":[]}""");
        return path;
    }
}
