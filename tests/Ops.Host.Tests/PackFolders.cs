using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Ops.Core.Packs;
using Ops.Verification;

namespace Ops.Host.Tests;

/// <summary>
/// Pack folders made in the test run (issue 16 items 3 and 4): C# compiled in-process with Roslyn against the shared
/// framework's and ASP.NET Core's reference assemblies and the host's Ops.Core, laid out with a pack.json beside the files.
/// </summary>
internal static class PackFolders
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(ReadReferences);

    /// <summary>Compiles <paramref name="source"/> into an assembly named <paramref name="assemblyName"/>; throws with the compiler's errors.</summary>
    public static byte[] Compile(string assemblyName, string source, params byte[][] referencedImages)
    {
        var compilation = CSharpCompilation.Create(
            assemblyName,
            [CSharpSyntaxTree.ParseText(source)],
            References.Value.AddRange(referencedImages.Select(i => MetadataReference.CreateFromImage(i))),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var output = new MemoryStream();
        var result = compilation.Emit(output);
        return result.Success
            ? output.ToArray()
            : throw new InvalidOperationException($"fixture {assemblyName} does not compile:{Environment.NewLine}{string.Join(Environment.NewLine, result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error))}");
    }

    /// <summary>An entry assembly <c>Ops.Packs.&lt;Name&gt;</c> whose pack registers nothing; <paramref name="body"/> goes into the entry class.</summary>
    public static byte[] EmptyEntry(string name, string body = "", params byte[][] referencedImages) => Compile(
        $"Ops.Packs.{name}",
        $$"""
        namespace Ops.Packs.{{name}}
        {
            public sealed class {{name}}Pack : Ops.Core.Packs.IOpsPack
            {
                {{body}}
                public void Register(Ops.Core.Packs.IPackBuilder builder) { }
            }
        }
        """,
        referencedImages);

    /// <summary>A contract module named <paramref name="assemblyName"/> holding one event record.</summary>
    public static byte[] Contract(string assemblyName, string recordName = "Happened") => Compile(
        assemblyName,
        $$"""
        namespace {{assemblyName}}
        {
            public sealed record {{recordName}}(string Value);
        }
        """);

    /// <summary>Writes pack.json and <paramref name="files"/> into a new folder <paramref name="folder"/>; returns it.</summary>
    public static string Write(string folder, string packId, string entryAssembly, string entryType, IReadOnlyDictionary<string, byte[]> files, string[]? exports = null, string[]? dependsOn = null, string version = "1.0.0")
    {
        static string List(string[]? items) => string.Join(",", (items ?? []).Select(i => $"\"{i}\""));
        Directory.CreateDirectory(folder);
        File.WriteAllText(
            Path.Combine(folder, PackManifest.FileName),
            $$"""{"pack_id":"{{packId}}","version":"{{version}}","entry_assembly":"{{entryAssembly}}","entry_type":"{{entryType}}","exports":[{{List(exports)}}],"depends_on":[{{List(dependsOn)}}]}""");
        foreach (var (name, bytes) in files)
        {
            File.WriteAllBytes(Path.Combine(folder, name), bytes);
        }

        return folder;
    }

    private static ImmutableArray<MetadataReference> ReadReferences()
    {
        var framework = Directory.GetFiles(ReferencePack("Microsoft.NETCore.App.Ref"), "*.dll");
        var names = framework.Select(Path.GetFileName).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var aspNetCore = Directory.GetFiles(ReferencePack("Microsoft.AspNetCore.App.Ref"), "*.dll").Where(f => !names.Contains(Path.GetFileName(f)));
        return [.. framework.Concat(aspNetCore).Append(typeof(IOpsPack).Assembly.Location).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
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
            .First();
        return Path.Combine(root, "packs", name, version!, "ref", $"net{major}.0");
    }
}
