using Ops.Verification;

namespace Ops.Architecture.Tests.Verification;

/// <summary>
/// Issue 16 item 3, the verifier's half: checking a pack reads its metadata and IL and runs none of it. A pack whose
/// module initializer, static constructor and entry type would each leave a marker is refused, and no marker appears
/// and no assembly of it is loaded into the checking process.
/// </summary>
public sealed class VerifierLoadsNothingTests : IDisposable
{
    private readonly string _markers = Directory.CreateTempSubdirectory("ops-verify-markers-").FullName;

    [Fact]
    public void Verify_PackWithAModuleInitializer_IsRefused_AndNoneOfItsCodeRuns()
    {
        var marker = Path.Combine(_markers, "ran");
        var source = $$"""
            namespace Hostile
            {
                public sealed class Entry : Ops.Core.Packs.IOpsPack
                {
                    static Entry() { System.IO.File.WriteAllText(@"{{marker}}", "cctor"); }
                    public void Register(Ops.Core.Packs.IPackBuilder builder) { System.IO.File.WriteAllText(@"{{marker}}", "register"); }
                }

                internal static class Init
                {
                    [System.Runtime.CompilerServices.ModuleInitializer]
                    internal static void Run() { System.IO.File.WriteAllText(@"{{marker}}", "module initializer"); }
                }
            }
            """;
        var image = PackFixtures.Compile("Ops.Packs.MarkerWriter", [source]);

        var verification = PackFixtures.Verify("Ops.Packs.MarkerWriter.dll", new Dictionary<string, byte[]> { ["Ops.Packs.MarkerWriter.dll"] = image }, entryType: "Hostile.Entry");

        Assert.Contains(verification.Findings, f => f.Rule == PackRuleIds.ModuleInitializer);
        Assert.Contains(verification.Findings, f => f.Rule == PackRuleIds.FileSystem);
        Assert.False(File.Exists(marker), "pack code ran while it was being checked");
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == "Ops.Packs.MarkerWriter");
    }

    public void Dispose() => Directory.Delete(_markers, recursive: true);
}
