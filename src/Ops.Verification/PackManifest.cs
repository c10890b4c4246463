using System.Text.Json;
using Ops.Core.Identity;
using Ops.Core.Packs;

namespace Ops.Verification;

/// <summary>A pack's <c>pack.json</c> (DESIGN.md §4).</summary>
public sealed record PackManifest(
    string PackId,
    string Version,
    string EntryAssembly,
    string EntryType,
    IReadOnlyList<string> Exports,
    IReadOnlyList<string> DependsOn)
{
    /// <summary>The manifest's file name in a pack folder.</summary>
    public const string FileName = "pack.json";

    /// <summary>Reads and checks <paramref name="path"/>; throws <see cref="InvalidDataException"/> naming every problem, or <see cref="IOException"/>.</summary>
    /// <param name="path">The <c>pack.json</c> file.</param>
    /// <returns>The manifest.</returns>
    public static PackManifest Read(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>Parses and checks a manifest's bytes; throws <see cref="InvalidDataException"/> naming <paramref name="path"/> and every problem.</summary>
    public static PackManifest Parse(byte[] bytes, string path)
    {
        PackManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<PackManifest>(bytes, OpsJson.Options);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} is not a valid pack manifest: {ex.Message}", ex);
        }

        if (manifest is null)
        {
            throw new InvalidDataException($"{path} is empty.");
        }

        var problems = new List<string>();
        if (!PackIds.IsValid(manifest.PackId))
        {
            problems.Add($"pack_id '{manifest.PackId}' must match [a-z][a-z0-9_]*");
        }

        if (manifest.Version is null || !System.Text.RegularExpressions.Regex.IsMatch(manifest.Version, @"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$"))
        {
            problems.Add($"version '{manifest.Version}' is not semver");
        }

        if (string.IsNullOrWhiteSpace(manifest.EntryAssembly) || manifest.EntryAssembly.Contains('/', StringComparison.Ordinal) || manifest.EntryAssembly.Contains('\\', StringComparison.Ordinal))
        {
            problems.Add("entry_assembly must be a file name in the pack folder");
        }

        if (manifest.Exports is null || manifest.DependsOn is null)
        {
            throw new InvalidDataException($"{path}: exports and depends_on are required (use [] for none).");
        }

        if (manifest.Exports.Any(e => !e.EndsWith(".Contracts", StringComparison.Ordinal)))
        {
            problems.Add("exports may list only *.Contracts assemblies");
        }

        if (manifest.DependsOn.Any(d => !d.EndsWith(".Contracts", StringComparison.Ordinal)) || manifest.DependsOn.Intersect(manifest.Exports, StringComparer.Ordinal).Any())
        {
            problems.Add("depends_on may list only other packs' *.Contracts assemblies");
        }

        return problems.Count == 0 ? manifest : throw new InvalidDataException($"{path}: {string.Join("; ", problems)}.");
    }
}
