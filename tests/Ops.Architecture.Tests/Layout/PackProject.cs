using System.Text.Json;

namespace Ops.Architecture.Tests.Layout;

/// <summary>A pack implementation project: its assembly, and the manifest (pack.json) next to the project file.</summary>
internal sealed class PackProject(string projectFile)
{
    public string ProjectFile { get; } = projectFile;

    public string AssemblyName { get; } = Path.GetFileNameWithoutExtension(projectFile);

    public string Assembly => Repository.OutputOf(ProjectFile);

    public string ManifestPath => Path.Combine(Path.GetDirectoryName(ProjectFile)!, "pack.json");

    /// <summary>The manifest's <c>entry_type</c>: the one public type of the implementation.</summary>
    public string ReadEntryType()
    {
        if (!File.Exists(ManifestPath))
        {
            throw new InvalidOperationException($"{AssemblyName} has no pack.json at {ManifestPath}: every pack names its entry_type there.");
        }

        using var manifest = JsonDocument.Parse(File.ReadAllText(ManifestPath));
        return manifest.RootElement.TryGetProperty("entry_type", out var entry) && entry.GetString() is { Length: > 0 } name
            ? name
            : throw new InvalidOperationException($"{ManifestPath} has no entry_type.");
    }

    public override string ToString() => AssemblyName;
}
