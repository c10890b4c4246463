using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Mono.Cecil;
using Mono.Cecil.Cil;
using Ops.Architecture.Tests.Layout;
using Ops.Verification;

namespace Ops.Architecture.Tests.Verification;

/// <summary>
/// Fixture packs made in the test run, so hundreds of them cost seconds rather than a project each: C# compiled
/// in-process with Roslyn against the shared framework's reference assemblies and Ops.Core, or a one-method module
/// written with Mono.Cecil. Each is laid out as a pack folder (pack.json beside the files) and judged by the real
/// <see cref="PackVerifier"/>, as <c>packs install</c> would.
/// </summary>
internal static class PackFixtures
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(ReadReferences);

    private static readonly string[] GlobalUsings =
    [
        "global using System;", "global using System.Collections.Generic;", "global using System.Linq;", "global using System.Net.Http;",
        "global using System.Threading;", "global using System.Threading.Tasks;", "global using System.IO;",
    ];

    /// <summary>The shared framework's reference assemblies (Microsoft.NETCore.App.Ref) of the running major version.</summary>
    public static string FrameworkReferenceDirectory { get; } = ReferencePack("Microsoft.NETCore.App.Ref");

    /// <summary>ASP.NET Core's reference assemblies, where Microsoft.Extensions.* hosting, configuration and HTTP live.</summary>
    public static string AspNetCoreReferenceDirectory { get; } = ReferencePack("Microsoft.AspNetCore.App.Ref");

    /// <summary>Compiles <paramref name="sources"/> into an assembly named <paramref name="assemblyName"/>; throws with the compiler's errors.</summary>
    public static byte[] Compile(string assemblyName, IEnumerable<string> sources, params byte[][] referencedImages) => Compile(assemblyName, sources, allowUnsafe: false, referencedImages);

    /// <summary>As <see cref="Compile(string, IEnumerable{string}, byte[][])"/>; <paramref name="allowUnsafe"/> as the AllowUnsafeBlocks build property.</summary>
    public static byte[] Compile(string assemblyName, IEnumerable<string> sources, bool allowUnsafe, params byte[][] referencedImages)
    {
        var trees = sources.Append(string.Join('\n', GlobalUsings))
            .Select(s => CSharpSyntaxTree.ParseText(s, new CSharpParseOptions(LanguageVersion.Preview)));
        var compilation = CSharpCompilation.Create(
            assemblyName,
            trees,
            References.Value.AddRange(referencedImages.Select(i => MetadataReference.CreateFromImage(i))),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: allowUnsafe));
        using var output = new MemoryStream();
        var result = compilation.Emit(output);
        if (!result.Success)
        {
            throw new InvalidOperationException($"fixture {assemblyName} does not compile:{Environment.NewLine}{string.Join(Environment.NewLine, result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error))}");
        }

        return output.ToArray();
    }

    /// <summary>
    /// A module with one public type <c>Probe.Probe</c> and one static method whose body <paramref name="emit"/> writes
    /// (a <c>ret</c> follows). The IL need not run: the verifier reads it, nothing executes it.
    /// </summary>
    public static byte[] Probe(string assemblyName, Action<ModuleDefinition, ILProcessor> emit)
    {
        using var assembly = AssemblyDefinition.CreateAssembly(new AssemblyNameDefinition(assemblyName, new Version(1, 0, 0, 0)), assemblyName, ModuleKind.Dll);
        var module = assembly.MainModule;
        var type = new TypeDefinition("Probe", "Probe", Mono.Cecil.TypeAttributes.Public | Mono.Cecil.TypeAttributes.Abstract | Mono.Cecil.TypeAttributes.Sealed, module.TypeSystem.Object);
        module.Types.Add(type);
        var method = new MethodDefinition("Use", Mono.Cecil.MethodAttributes.Public | Mono.Cecil.MethodAttributes.Static, module.TypeSystem.Void);
        type.Methods.Add(method);
        var il = method.Body.GetILProcessor();
        emit(module, il);
        il.Emit(OpCodes.Ret);
        using var output = new MemoryStream();
        assembly.Write(output);
        return output.ToArray();
    }

    /// <summary>Lays out a pack folder (pack.json and <paramref name="files"/>) and runs the real verifier on it.</summary>
    public static PackVerification Verify(string entryAssembly, IReadOnlyDictionary<string, byte[]> files, string[]? exports = null, string[]? dependsOn = null, ISet<AllowListEntry>? used = null, string entryType = "Probe.Probe")
    {
        var folder = Directory.CreateTempSubdirectory("ops-allowlist-").FullName;
        try
        {
            Write(folder, entryAssembly, files, exports, dependsOn, entryType);
            return new PackVerifier(PackSigningOptions.None) { UsedEntries = used }.Verify(folder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Writes pack.json and the files into <paramref name="folder"/>.</summary>
    public static void Write(string folder, string entryAssembly, IReadOnlyDictionary<string, byte[]> files, string[]? exports, string[]? dependsOn, string entryType = "Probe.Probe")
    {
        static string List(string[]? items) => string.Join(",", (items ?? []).Select(i => $"\"{i}\""));
        File.WriteAllText(
            Path.Combine(folder, PackManifest.FileName),
            $$"""{"pack_id":"probe","version":"1.0.0","entry_assembly":"{{entryAssembly}}","entry_type":"{{entryType}}","exports":[{{List(exports)}}],"depends_on":[{{List(dependsOn)}}]}""");
        foreach (var (name, bytes) in files)
        {
            var path = Path.Combine(folder, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
        }
    }

    private static ImmutableArray<MetadataReference> ReadReferences()
    {
        var framework = Directory.GetFiles(FrameworkReferenceDirectory, "*.dll");
        var frameworkNames = framework.Select(Path.GetFileName).ToHashSet(StringComparer.OrdinalIgnoreCase);

        // ASP.NET Core's pack repeats none of the framework's assemblies, but guard against a duplicate all the same.
        var aspNetCore = Directory.GetFiles(AspNetCoreReferenceDirectory, "*.dll").Where(f => !frameworkNames.Contains(Path.GetFileName(f)));
        // The SDK is what a pack builds against; Ops.Core is there too so that a probe naming it compiles (and is refused).
        var kernel = new[] { Repository.SdkAssembly, Repository.CoreAssembly, Repository.SharedAssembly }.OfType<string>();
        return [.. framework.Concat(aspNetCore).Concat(kernel).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }

    private static string ReferencePack(string name)
    {
        // The runtime runs from <dotnet root>/shared/Microsoft.NETCore.App/<version>/; the SDK's reference packs are under <dotnet root>/packs/.
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } configured && Directory.Exists(Path.Combine(configured, "packs", name))
            ? configured
            : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        var major = Environment.Version.Major;
        var version = Directory.GetDirectories(Path.Combine(root, "packs", name))
            .Select(Path.GetFileName)
            .Where(v => v!.StartsWith($"{major}.", StringComparison.Ordinal))
            .OrderByDescending(v => Version.TryParse(v!.Split('-')[0], out var parsed) ? parsed : new Version(0, 0))
            .FirstOrDefault()
            ?? throw new InvalidOperationException($"no {name} {major}.x under {Path.Combine(root, "packs")}: the generated tests need the .NET SDK's reference packs.");
        return Path.Combine(root, "packs", name, version, "ref", $"net{major}.0");
    }
}
