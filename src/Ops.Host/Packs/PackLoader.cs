using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Ops.Core.Hosting;
using Ops.Core.Packs;

namespace Ops.Host.Packs;

/// <summary>
/// Finds packs (<c>&lt;folder&gt;/*/pack.json</c>), checks manifests and contract dependencies, loads each
/// into its own <see cref="PackLoadContext"/> and registers it. A pack that fails any check is refused
/// with a reason and the host runs the others (constitution §10: dependency failures at install time).
/// </summary>
internal sealed class PackLoader(KernelRegistry registry, IConfiguration configuration, TimeProvider time, ILoggerFactory loggerFactory)
{
    private static readonly string[] SharedPrefixes = ["System", "Microsoft.Extensions.", "Microsoft.AspNetCore.", "netstandard", "mscorlib"];
    private static readonly string[] SharedNames = ["Ops.Core", "Ops.Shared", "Microsoft.EntityFrameworkCore", "Microsoft.Data.Sqlite", "Scrutor"];

    private readonly ILogger _logger = loggerFactory.CreateLogger("Ops.Host.Packs");

    public List<RefusedPack> Refused { get; } = [];

    public void LoadAll(string packsDirectory)
    {
        if (!Directory.Exists(packsDirectory))
        {
            HostLog.NoPacksFolder(_logger, packsDirectory);
            return;
        }

        var candidates = new List<(PackManifest Manifest, string Directory)>();
        foreach (var directory in Directory.GetDirectories(packsDirectory).Order(StringComparer.Ordinal))
        {
            var manifestPath = Path.Combine(directory, PackManifest.FileName);
            if (!File.Exists(manifestPath))
            {
                continue;
            }

            try
            {
                var manifest = PackManifest.Read(manifestPath);
                var entry = Path.Combine(directory, manifest.EntryAssembly);
                if (!File.Exists(entry))
                {
                    throw new InvalidDataException($"entry assembly {manifest.EntryAssembly} is missing from {directory}.");
                }

                var missingExport = manifest.Exports.FirstOrDefault(e => !File.Exists(Path.Combine(directory, e + ".dll")));
                if (missingExport is not null)
                {
                    throw new InvalidDataException($"exported contract {missingExport}.dll is missing from {directory}.");
                }

                if (candidates.Any(c => c.Manifest.PackId == manifest.PackId))
                {
                    throw new InvalidDataException($"pack id '{manifest.PackId}' is installed twice.");
                }

                candidates.Add((manifest, directory));
            }
            catch (InvalidDataException ex)
            {
                Refuse(Path.GetFileName(directory), ex.Message);
            }
        }

        // Dependencies are checked against what is installed, before anything loads.
        var exports = candidates.SelectMany(c => c.Manifest.Exports.Select(e => (Contract: e, c.Directory))).ToDictionary(x => x.Contract, x => x.Directory, StringComparer.Ordinal);
        var ready = new List<(PackManifest Manifest, string Directory)>();
        foreach (var candidate in candidates)
        {
            var missing = candidate.Manifest.DependsOn.Where(d => !exports.ContainsKey(d)).ToList();
            if (missing.Count > 0)
            {
                Refuse(candidate.Manifest.PackId, $"it depends on contract module(s) {string.Join(", ", missing)}, which no installed pack exports. Install the pack that exports them, or remove this pack.");
                continue;
            }

            ready.Add(candidate);
        }

        foreach (var (contract, directory) in exports)
        {
            if (!AssemblyLoadContext.Default.Assemblies.Any(a => a.GetName().Name == contract))
            {
                AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.Combine(directory, contract + ".dll"));
            }
        }

        foreach (var (manifest, directory) in ready)
        {
            try
            {
                Load(manifest, directory, exports);
            }
            catch (Exception ex) when (ex is PackLoadException or ReflectionTypeLoadException or FileNotFoundException or FileLoadException or BadImageFormatException or InvalidCastException or MissingMethodException or TypeLoadException)
            {
                Refuse(manifest.PackId, ex is PackLoadException ple ? ple.Message.Replace($"Pack '{manifest.PackId}' was not loaded: ", string.Empty, StringComparison.Ordinal) : ex.Message);
            }
        }
    }

    private void Load(PackManifest manifest, string directory, IReadOnlyDictionary<string, string> exports)
    {
        var entryPath = Path.Combine(directory, manifest.EntryAssembly);
        var context = new PackLoadContext(manifest.PackId, entryPath, name => IsShared(name, exports));
        var assembly = context.LoadFromAssemblyPath(entryPath);
        var entryType = assembly.GetType(manifest.EntryType, throwOnError: false)
            ?? throw new PackLoadException(manifest.PackId, $"entry type {manifest.EntryType} is not in {manifest.EntryAssembly}.");
        if (Activator.CreateInstance(entryType) is not IOpsPack pack)
        {
            throw new PackLoadException(manifest.PackId, $"entry type {manifest.EntryType} does not implement {nameof(IOpsPack)} from the host's Ops.Core (a second copy of Ops.Core in the pack folder breaks type identity).");
        }

        var info = new LoadedPack(manifest.PackId, manifest.Version, ContentHash(directory), directory, manifest.Exports, manifest.DependsOn);
        KernelRegistryFactory.AddPack(registry, pack, info, configuration, time, loggerFactory);
        HostLog.PackLoaded(_logger, manifest.PackId, manifest.Version, info.ContentHash[..12]);
    }

    private static bool IsShared(AssemblyName name, IReadOnlyDictionary<string, string> exports)
    {
        var simple = name.Name ?? string.Empty;
        return SharedNames.Contains(simple, StringComparer.Ordinal)
            || exports.ContainsKey(simple)
            || SharedPrefixes.Any(p => simple.StartsWith(p, StringComparison.Ordinal));
    }

    /// <summary>Content address of a pack folder: SHA-256 over its files' relative paths and SHA-256s, in ordinal order (constitution A7).</summary>
    public static string ContentHash(string directory)
    {
        var builder = new StringBuilder();
        foreach (var file in Directory.GetFiles(directory, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(directory, f).Replace('\\', '/')).Order(StringComparer.Ordinal))
        {
            using var stream = File.OpenRead(Path.Combine(directory, file));
            builder.Append(file).Append('\n').Append(Convert.ToHexStringLower(SHA256.HashData(stream))).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString())));
    }

    private void Refuse(string packId, string reason)
    {
        Refused.Add(new RefusedPack(packId, reason));
        HostLog.PackRefused(_logger, packId, reason);
    }
}

/// <summary>A pack that was not loaded, and why.</summary>
internal sealed record RefusedPack(string PackId, string Reason);
