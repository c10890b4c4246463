using System.Reflection;
using System.Runtime.Loader;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ops.Core.Errors;
using Ops.Core.Hosting;
using Ops.Core.Packs;
using Ops.Core.Packs.Install;
using Ops.Verification;

namespace Ops.Host.Packs;

/// <summary>
/// Loads the packs the log records as installed (core.PackInstalled), and only those: the pack id comes
/// from the install record, never from a folder. Each installed folder is read once, must still have the
/// recorded content hash and must pass the install checks again (<see cref="PackVerifier"/>); then the
/// pack is loaded, from the bytes that were hashed and checked, into its own <see cref="PackLoadContext"/>,
/// after the packs whose contracts it depends on. A pack that fails is refused with a reason and the
/// host runs the others (constitution §10). Pack folders beside the executable that are not installed are
/// listed as such.
/// </summary>
internal sealed class PackLoader(IOpsBuilder ops, ILoggerFactory loggerFactory, PackVerifier verifier)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Ops.Host.Packs");

    private readonly List<PackLoadContext> _contexts = [];

    public List<RefusedPack> Refused { get; } = [];

    /// <summary>The contexts this loader made, one per loaded pack; held here for the host's lifetime (AssemblyLoadContext.All holds them only weakly).</summary>
    public IReadOnlyList<PackLoadContext> Contexts => _contexts;

    public PackVerifier Verifier { get; } = verifier;

    /// <summary>Loads <paramref name="installed"/>; reports folders under <paramref name="bundledDirectory"/> that are not installed.</summary>
    public void LoadInstalled(IReadOnlyDictionary<string, PackInstalled> installed, string? bundledDirectory)
    {
        var candidates = new List<(PackInstalled Record, PackVerification Verification)>();
        foreach (var record in installed.Values.OrderBy(p => p.PackId, StringComparer.Ordinal))
        {
            var verification = Verifier.Verify(record.Source);
            if (verification.Snapshot is { } snapshot && snapshot.ContentHash != record.ContentHash)
            {
                Refuse(record.PackId, ReasonCodes.PackHashMismatch, $"the folder {record.Source} no longer has the content that was installed (recorded {Short(record.ContentHash)}, found {Short(snapshot.ContentHash)}), so it was not loaded. If the change is yours, install it again with 'packs install {record.Source} --upgrade'.");
            }
            else if (!verification.IsAccepted)
            {
                Refuse(record.PackId, verification.ReasonCode, verification.Describe());
            }
            else if (verification.Manifest!.PackId != record.PackId)
            {
                Refuse(record.PackId, ReasonCodes.PackRefused, $"the folder {record.Source} declares pack id '{verification.Manifest.PackId}', not the installed '{record.PackId}'.");
            }
            else
            {
                candidates.Add((record, verification));
            }
        }

        ReportNotInstalled(installed, bundledDirectory);

        // Dependency order: a pack loads after the packs that export what it depends on.
        var ready = new List<(PackInstalled Record, PackVerification Verification)>();
        var exports = new Dictionary<string, PackVerification>(StringComparer.Ordinal);
        var pending = candidates;
        while (pending.Count > 0)
        {
            var next = pending.Where(c => c.Verification.Manifest!.DependsOn.All(exports.ContainsKey)).ToList();
            if (next.Count == 0)
            {
                foreach (var (record, verification) in pending)
                {
                    var missing = verification.Manifest!.DependsOn.Where(d => !exports.ContainsKey(d));
                    Refuse(record.PackId, ReasonCodes.PackDependencyMissing, $"it depends on contract module(s) {string.Join(", ", missing)}, which no loaded pack exports. Install (or repair) the pack that exports them, or remove this pack.");
                }

                break;
            }

            foreach (var candidate in next)
            {
                ready.Add(candidate);
                foreach (var export in candidate.Verification.Manifest!.Exports)
                {
                    exports[export] = candidate.Verification;
                }
            }

            pending = [.. pending.Except(next)];
        }

        foreach (var (contract, verification) in exports)
        {
            if (!AssemblyLoadContext.Default.Assemblies.Any(a => a.GetName().Name == contract))
            {
                AssemblyLoadContext.Default.LoadFromStream(new MemoryStream(verification.Snapshot!.Files[contract + ".dll"]));
            }
        }

        foreach (var (record, verification) in ready)
        {
            try
            {
                Load(record, verification, exports);
            }
            catch (Exception ex) when (ex is PackLoadException or ReflectionTypeLoadException or FileNotFoundException or FileLoadException or BadImageFormatException or InvalidCastException or MissingMethodException or TypeLoadException)
            {
                Refuse(record.PackId, ReasonCodes.PackRefused, ex is PackLoadException ple ? ple.Reason : ex.Message);
            }
        }
    }

    private void Load(PackInstalled record, PackVerification verification, IReadOnlyDictionary<string, PackVerification> exports)
    {
        var manifest = verification.Manifest!;
        var snapshot = verification.Snapshot!;
        var entryPath = Path.Combine(snapshot.Directory, manifest.EntryAssembly);
        var context = new PackLoadContext(manifest.PackId, entryPath, snapshot, name => IsShared(name, exports));
        _contexts.Add(context);
        var assembly = context.LoadFromSnapshot(entryPath)
            ?? throw new PackLoadException(manifest.PackId, $"entry assembly {manifest.EntryAssembly} is not in the checked snapshot of {snapshot.Directory}.");
        var entryType = assembly.GetType(manifest.EntryType, throwOnError: false)
            ?? throw new PackLoadException(manifest.PackId, $"entry type {manifest.EntryType} is not in {manifest.EntryAssembly}.");
        if (Activator.CreateInstance(entryType) is not IOpsPack pack)
        {
            throw new PackLoadException(manifest.PackId, $"entry type {manifest.EntryType} does not implement {nameof(IOpsPack)} from the host's Ops.Core (a second copy of Ops.Core in the pack folder breaks type identity).");
        }

        ops.AddPack(pack, new OpsPackInfo(record.PackId, manifest.Version, record.ContentHash, snapshot.Directory, manifest.Exports, manifest.DependsOn, Installed: true));
        HostLog.PackLoaded(_logger, record.PackId, manifest.Version, record.ContentHash[..12]);
    }

    private void ReportNotInstalled(IReadOnlyDictionary<string, PackInstalled> installed, string? bundledDirectory)
    {
        if (bundledDirectory is null || !Directory.Exists(bundledDirectory))
        {
            return;
        }

        var sources = installed.Values.Select(p => Path.GetFullPath(p.Source)).ToHashSet(StringComparer.Ordinal);
        foreach (var directory in BundledFolders(bundledDirectory).Where(d => !sources.Contains(d)))
        {
            var id = Path.GetFileName(directory);
            try
            {
                id = PackManifest.Read(Path.Combine(directory, PackManifest.FileName)).PackId;
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException)
            {
                // The folder's name stands in for an unreadable manifest.
            }

            Refused.Add(new RefusedPack(id, ReasonCodes.PackNotInstalled, $"the folder {directory} is not installed, so it was not loaded; install it with 'packs install {directory}'."));
            HostLog.PackNotInstalled(_logger, directory);
        }
    }

    /// <summary>Folders with a pack.json directly under <paramref name="directory"/>, in ordinal order.</summary>
    public static IReadOnlyList<string> BundledFolders(string directory) =>
        Directory.Exists(directory)
            ? [.. Directory.GetDirectories(directory).Select(Path.GetFullPath).Where(d => File.Exists(Path.Combine(d, PackManifest.FileName))).Order(StringComparer.Ordinal)]
            : [];

    /// <summary>Whether the host's default context provides this assembly to every pack (Ops.Core, the framework, Microsoft.Extensions.*).</summary>
    public static bool IsHostShared(string simpleName) => PackSharing.IsHostShared(simpleName);

    private static bool IsShared(AssemblyName name, IReadOnlyDictionary<string, PackVerification> exports)
    {
        var simple = name.Name ?? string.Empty;
        return IsHostShared(simple) || exports.ContainsKey(simple);
    }

    /// <summary>Content address of a pack folder: SHA-256 over its files' relative paths and SHA-256s, in ordinal order, pack.sig excluded (constitution A7).</summary>
    public static string ContentHash(string directory) => PackSnapshot.Read(directory).ContentHash;

    private void Refuse(string packId, string code, string reason)
    {
        Refused.Add(new RefusedPack(packId, code, reason));
        HostLog.PackRefused(_logger, packId, reason);
    }

    private static string Short(string hash) => hash.Length > 16 ? hash[..16] : hash;
}

/// <summary>A pack that was not loaded, and why.</summary>
/// <param name="PackId">The installed pack id (or, for a folder that is not installed, its manifest's id).</param>
/// <param name="Code">A code from <see cref="ReasonCodes"/>.</param>
/// <param name="Reason">What is wrong and what to do.</param>
internal sealed record RefusedPack(string PackId, string Code, string Reason);
