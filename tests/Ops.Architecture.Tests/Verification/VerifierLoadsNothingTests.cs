using Mono.Cecil;
using Ops.Architecture.Tests.Layout;
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

    /// <summary>
    /// The structural half (issue 16 item 3): of the assemblies that verify and install packs, only the loader's two types
    /// name anything that loads or instantiates code (Assembly.Load*, an AssemblyLoadContext's loads, Activator,
    /// MetadataLoadContext). The verifier (Ops.Verification, run by install, <c>packs verify</c> and every start) reads
    /// metadata with Mono.Cecil and System.Reflection.Metadata only.
    /// </summary>
    [Fact]
    public void OnlyTheLoader_NamesAnythingThatLoadsCode_TheVerifierAndTheInstallPathDoNot()
    {
        var users = new[] { Repository.OutputOf(Path.Combine(Repository.Root, "src", "Ops.Verification", "Ops.Verification.csproj")), Repository.KernelAssemblies["Ops.Host"] }
            .SelectMany(CodeLoadingUses)
            .ToList();

        Assert.NotEmpty(users);
        Assert.All(users, u => Assert.True(u.Type is "Ops.Host.Packs.PackLoader" or "Ops.Host.Packs.PackLoadContext", $"{u.Type}.{u.Method} uses {u.Member}"));
    }

    private static IEnumerable<(string Type, string Method, string Member)> CodeLoadingUses(string path)
    {
        using var module = ModuleDefinition.ReadModule(path);
        foreach (var type in module.GetTypes())
        {
            foreach (var method in type.Methods.Where(m => m.HasBody))
            {
                foreach (var instruction in method.Body.Instructions)
                {
                    if (instruction.Operand is MemberReference member && LoadsCode(member))
                    {
                        // Compiler-generated closures and state machines are nested in the type that wrote them.
                        var owner = type;
                        while (owner.DeclaringType is not null)
                        {
                            owner = owner.DeclaringType;
                        }

                        yield return (owner.FullName, method.Name, member.FullName);
                    }
                }
            }
        }
    }

    private static bool LoadsCode(MemberReference member)
    {
        var declaring = member.DeclaringType?.FullName ?? string.Empty;
        return (declaring == "System.Reflection.Assembly" && member.Name.StartsWith("Load", StringComparison.Ordinal))
            || (declaring == "System.Runtime.Loader.AssemblyLoadContext" && member.Name.StartsWith("Load", StringComparison.Ordinal))
            || declaring == "System.Activator"
            || declaring.StartsWith("System.Reflection.MetadataLoadContext", StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_markers, recursive: true);
}
