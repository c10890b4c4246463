using Mono.Cecil;
using Mono.Cecil.Cil;
using Ops.Verification;
using Xunit.Abstractions;

namespace Ops.Architecture.Tests.Verification;

/// <summary>
/// Issue 16 item 2, generated: for every public type of the shared framework's reference assemblies that is not on the
/// allow-list, a one-method fixture pack that names it is refused by the real verifier; and for every type the list allows
/// only in part, each member it leaves out (and each <c>deny</c> line) is refused the same way. The run prints the counts.
/// </summary>
public sealed class GeneratedAllowListTests(ITestOutputHelper output) : IDisposable
{
    private const string Entry = "Probe.dll";

    private readonly string _folder = Directory.CreateTempSubdirectory("ops-allowlist-generated-").FullName;

    // The shared framework first, then ASP.NET Core's (where Microsoft.Extensions' hosting, configuration and HTTP live).
    private readonly List<ModuleDefinition> _modules = [.. new[] { PackFixtures.FrameworkReferenceDirectory, PackFixtures.AspNetCoreReferenceDirectory }
        .SelectMany(d => Directory.GetFiles(d, "*.dll").Order(StringComparer.Ordinal))
        .Select(f => ModuleDefinition.ReadModule(f, new ReaderParameters { ReadingMode = ReadingMode.Deferred }))];

    [Fact]
    public void EveryFrameworkTypeNotOnTheAllowList_IsRefused_InAFixturePackThatNamesIt()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var refused = 0;
        var refusedInNetCore = 0;
        var missed = new List<string>();
        foreach (var type in PublicTypes().Where(t => seen.Add(t.FullName) && AllowList.Default.AllowsType(AllowListSection.Framework, t.FullName) is null))
        {
            var verification = VerifyProbe((module, il) =>
            {
                il.Emit(OpCodes.Ldtoken, module.ImportReference(type));
                il.Emit(OpCodes.Pop);
            });
            if (IsRefusedNaming(verification, type.FullName.Replace('/', '+')))
            {
                refused++;
                refusedInNetCore += type.Module.FileName.StartsWith(PackFixtures.FrameworkReferenceDirectory, StringComparison.Ordinal) ? 1 : 0;
            }
            else
            {
                missed.Add($"{type.FullName}: {(verification.IsAccepted ? "accepted" : string.Join(" ", verification.Findings))}");
            }
        }

        Report($"generated allow-list fixtures: {refused} framework types off the allow-list, each refused in its own fixture pack: {refusedInNetCore} of Microsoft.NETCore.App.Ref, {refused - refusedInNetCore} of Microsoft.AspNetCore.App.Ref ({seen.Count} public types, {Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(PackFixtures.FrameworkReferenceDirectory)))})");
        Assert.Empty(missed);
        Assert.True(refused > 1000, $"only {refused} framework types were generated: is {PackFixtures.FrameworkReferenceDirectory} complete?");
    }

    [Fact]
    public void EveryMemberLeftOutOfAPartlyAllowedType_AndEveryDenyLine_IsRefused()
    {
        var types = PublicTypes().GroupBy(t => t.FullName, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var partial = AllowList.Default.Entries
            .Where(e => e.Section == AllowListSection.Framework && e.Kind is AllowListKind.Member or AllowListKind.Deny)
            .Select(e => e.TypeName)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        var refused = 0;
        var missed = new List<string>();
        var denyLinesShown = new HashSet<AllowListEntry>();
        foreach (var typeName in partial)
        {
            Assert.True(types.TryGetValue(typeName, out var type), $"{typeName} is on the allow-list but in no reference assembly");
            foreach (var member in Members(type))
            {
                var parameters = member is MethodDefinition method ? method.Parameters.Select(p => PackRules.ParameterTypeName(p.ParameterType)).ToList() : [];
                if (AllowList.Default.AllowsMember(AllowListSection.Framework, typeName, member.Name, parameters) is not null)
                {
                    continue;
                }

                var verification = VerifyProbe((module, il) =>
                {
                    if (member is MethodDefinition m)
                    {
                        il.Emit(OpCodes.Ldtoken, module.ImportReference(m));
                    }
                    else
                    {
                        il.Emit(OpCodes.Ldtoken, module.ImportReference((FieldDefinition)member));
                    }

                    il.Emit(OpCodes.Pop);
                });
                if (IsRefusedNaming(verification, $"{typeName.Replace('/', '+')}.{member.Name}"))
                {
                    refused++;
                    if (AllowList.Default.DeniedMember(AllowListSection.Framework, typeName, member.Name, parameters) is { } deny)
                    {
                        denyLinesShown.Add(deny);
                    }
                }
                else
                {
                    missed.Add($"{typeName}::{member.Name}");
                }
            }
        }

        var denyLines = AllowList.Default.Entries.Where(e => e.Kind == AllowListKind.Deny).ToList();
        Report($"generated allow-list fixtures: {refused} members of {partial.Count} partly allowed framework types refused, {denyLinesShown.Count} of the {denyLines.Count} deny lines among them");
        Assert.Empty(missed);

        // A deny line that names no member of its type (a typo, a renamed overload) would refuse nothing.
        Assert.Empty(denyLines.Except(denyLinesShown).Select(d => $"{d.Where} {d.Name}"));
    }

    public void Dispose()
    {
        foreach (var module in _modules)
        {
            module.Dispose();
        }

        Directory.Delete(_folder, recursive: true);
    }

    private static bool IsRefusedNaming(PackVerification verification, string dependency) =>
        !verification.IsAccepted
        && verification.Findings.Any(f => f.File == Entry && f.TypeName == "Probe.Probe" && f.Member == "Use" && f.Rule.Length > 0
            && f.Dependency is { } d && d.Split(", ").Contains(dependency, StringComparer.Ordinal));

    private static IEnumerable<IMemberDefinition> Members(TypeDefinition type) =>
        type.Methods.Where(m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly).Cast<IMemberDefinition>()
            .Concat(type.Fields.Where(f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly));

    private static bool IsVisible(TypeDefinition type) =>
        type.DeclaringType is null ? type.IsPublic : (type.IsNestedPublic || type.IsNestedFamily || type.IsNestedFamilyOrAssembly) && IsVisible(type.DeclaringType);

    private IEnumerable<TypeDefinition> PublicTypes() => _modules.SelectMany(m => m.GetTypes()).Where(t => t.Name != "<Module>" && IsVisible(t));

    private PackVerification VerifyProbe(Action<ModuleDefinition, ILProcessor> emit)
    {
        // One folder, rewritten per fixture: the verifier reads it afresh each time, as it would a new pack.
        PackFixtures.Write(_folder, Entry, new Dictionary<string, byte[]> { [Entry] = PackFixtures.Probe("Probe", emit) }, null, null);
        return new PackVerifier(PackSigningOptions.None).Verify(_folder);
    }

    private void Report(string line)
    {
        output.WriteLine(line);
        Console.WriteLine(line);
    }
}
