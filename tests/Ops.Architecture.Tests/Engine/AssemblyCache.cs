using System.Collections.Concurrent;
using Mono.Cecil;

namespace Ops.Architecture.Tests.Engine;

/// <summary>
/// Reads each assembly once, fully and into memory: no file stays open while other builds run, and
/// nothing is read lazily later (Mono.Cecil's lazy reading is not thread-safe).
/// </summary>
internal static class AssemblyCache
{
    private static readonly ConcurrentDictionary<string, Lazy<AssemblyDefinition>> Loaded = new(StringComparer.Ordinal);

    public static AssemblyDefinition Load(string assemblyPath)
    {
        var path = Path.GetFullPath(assemblyPath);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"No assembly at {path}. Build tests/Ops.Architecture.Tests (it builds every project it judges first) in the same configuration as the test run.",
                path);
        }

        return Loaded.GetOrAdd(path, p => new Lazy<AssemblyDefinition>(() => Read(p))).Value;
    }

    private static AssemblyDefinition Read(string path)
    {
        // Packs reference Ops.Core without copying it; it, and the framework, resolve from the test's own folders.
        var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(Path.GetDirectoryName(path)!);
        resolver.AddSearchDirectory(AppContext.BaseDirectory);
        resolver.AddSearchDirectory(Path.GetDirectoryName(typeof(object).Assembly.Location)!);
        var parameters = new ReaderParameters
        {
            InMemory = true,
            ReadingMode = ReadingMode.Immediate,
            ReadSymbols = false,
            AssemblyResolver = resolver,
        };
        return AssemblyDefinition.ReadAssembly(path, parameters);
    }
}
