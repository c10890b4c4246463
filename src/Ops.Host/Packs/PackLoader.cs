using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
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
/// Loads the packs the log records as installed (core.PackInstalled), and only those: the pack id comes from the install
/// record, never from a folder. Each installed folder is read once and must still hold exactly the files its install
/// recorded, each with its recorded SHA-256 (an unrecorded, missing or changed file is refused by name; a record older
/// than the file list is compared by the folder's content hash), and must pass the install checks again
/// (<see cref="PackVerifier"/>, metadata only). Its exported contract modules must be bound to it in the log (issue 16
/// item 4). Only then, and only with <see cref="PackCode.Load"/>, is anything of it loaded, after the packs whose
/// contracts it depends on loaded: the pack into its own <see cref="PackLoadContext"/>, its assemblies by path from the
/// bytes that were compared and checked, and its contract modules into the shared context on first use, from its
/// recorded files. A pack that fails is refused with a reason, packs that depend on its contracts are refused too,
/// and the host runs the others (constitution §10). Pack folders beside the executable that are not installed are listed
/// as such.
/// </summary>
internal sealed class PackLoader(IOpsBuilder ops, ILoggerFactory loggerFactory, PackVerifier verifier)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Ops.Host.Packs");

    private readonly List<PackLoadContext> _contexts = [];

    // Contract modules a loading or loaded pack exports, by name: the bytes of the exporter's recorded file.
    private readonly Dictionary<string, byte[]> _shareable = new(StringComparer.Ordinal);

    public List<RefusedPack> Refused { get; } = [];

    /// <summary>Packs that passed every check but that this process did not load (<see cref="PackCode.CheckOnly"/>).</summary>
    public List<CheckedPack> NotLoaded { get; } = [];

    /// <summary>The contexts this loader made, one per loaded pack; held here for the host's lifetime (AssemblyLoadContext.All holds them only weakly).</summary>
    public IReadOnlyList<PackLoadContext> Contexts => _contexts;

    public PackVerifier Verifier { get; } = verifier;

    /// <summary>Checks <paramref name="installed"/> and, with <see cref="PackCode.Load"/>, loads what passes; reports folders under <paramref name="bundledDirectory"/> that are not installed.</summary>
    public void LoadInstalled(InstalledPackSet installed, string? bundledDirectory, PackCode code)
    {
        var candidates = new List<(PackInstalled Record, PackVerification Verification)>();
        foreach (var record in installed.Packs.Values.OrderBy(p => p.PackId, StringComparer.Ordinal))
        {
            if (Check(record, installed.Contracts) is { } verification)
            {
                candidates.Add((record, verification));
            }
        }

        ReportNotInstalled(installed.Packs, bundledDirectory);

        // Nothing runs before this point: every pack was judged on its bytes and metadata alone.
        var loadedContracts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (record, verification) in InDependencyOrder(candidates))
        {
            var manifest = verification.Manifest!;
            if (code == PackCode.CheckOnly)
            {
                NotLoaded.Add(new CheckedPack(record.PackId, manifest.Version, record.ContentHash));
                continue;
            }

            var missing = manifest.DependsOn.Where(d => !loadedContracts.ContainsKey(d)).ToList();
            if (missing.Count > 0)
            {
                var exporters = missing.Select(d => installed.Contracts.TryGetValue(d, out var b) ? $"{d} of '{b.ExporterPackId}'" : d);
                Refuse(record.PackId, ReasonCodes.PackDependencyMissing, $"it depends on contract module(s) {string.Join(", ", exporters)}, whose exporter was not loaded at this start (see its reason), so nothing of this pack was loaded either.");
                continue;
            }

            // Its own contract modules become shareable only while it loads, and stay so only if it loaded.
            foreach (var export in manifest.Exports)
            {
                _shareable[export] = verification.Snapshot!.Files[installed.Contracts[export].Path ?? export + ".dll"];
            }

            try
            {
                Load(record, verification);
                foreach (var export in manifest.Exports)
                {
                    loadedContracts[export] = record.PackId;
                }
            }
            catch (Exception ex) when (ex is PackLoadException or ReflectionTypeLoadException or FileNotFoundException or FileLoadException or BadImageFormatException or InvalidCastException or MissingMethodException or TypeLoadException)
            {
                foreach (var export in manifest.Exports)
                {
                    _shareable.Remove(export);
                }

                Refuse(record.PackId, ReasonCodes.PackRefused, ex is PackLoadException ple ? ple.Reason : ex.Message);
            }
        }
    }

    /// <summary>The checks that run before any code of the pack: files against the record, the install checks, the pack id, the contract bindings.</summary>
    private PackVerification? Check(PackInstalled record, IReadOnlyDictionary<string, ContractBinding> contracts)
    {
        var verification = Verifier.Verify(record.Source);
        if (verification.Snapshot is { } snapshot && Mismatch(record, snapshot) is { } mismatch)
        {
            Refuse(record.PackId, ReasonCodes.PackHashMismatch, $"the folder {record.Source} no longer has the content that was installed: {mismatch}; nothing of it was loaded. If the change is yours, install it again with 'packs install {record.Source} --upgrade'.");
            return null;
        }

        if (!verification.IsAccepted)
        {
            Refuse(record.PackId, verification.ReasonCode, verification.Describe());
            return null;
        }

        var manifest = verification.Manifest!;
        if (manifest.PackId != record.PackId)
        {
            Refuse(record.PackId, ReasonCodes.PackRefused, $"the folder {record.Source} declares pack id '{manifest.PackId}', not the installed '{record.PackId}'.");
            return null;
        }

        foreach (var export in manifest.Exports)
        {
            var binding = contracts.GetValueOrDefault(export);
            if (binding is null || binding.ExporterPackId != record.PackId)
            {
                var owner = binding is null ? "no pack" : $"pack '{binding.ExporterPackId}', which the log records as its exporter first";
                Refuse(record.PackId, ReasonCodes.PackContractTaken, $"it exports contract module {export}, which is bound to {owner}; a contract module is taken only from its exporter's recorded file, so nothing of this pack was loaded. Remove it, or rename its contract module and install it again.");
                return null;
            }

            var path = binding.Path ?? export + ".dll";
            if (binding.Sha256 is { } sha && verification.Snapshot!.FileRecords.FirstOrDefault(f => f.Path == path)?.Sha256 != sha)
            {
                Refuse(record.PackId, ReasonCodes.PackHashMismatch, $"its contract module {export} ({path}) is not the file recorded for it at install; nothing of it was loaded. Install the folder again with 'packs install {record.Source} --upgrade'.");
                return null;
            }
        }

        return verification;
    }

    /// <summary>How the folder differs from the install record, naming each file; null when it does not.</summary>
    private static string? Mismatch(PackInstalled record, PackSnapshot snapshot)
    {
        if (record.Files is not { } files)
        {
            // A record from before the file list: the folder's content hash stands for its files.
            return snapshot.ContentHash == record.ContentHash ? null : $"recorded content {Short(record.ContentHash)}, found {Short(snapshot.ContentHash)}";
        }

        var recorded = files.ToDictionary(f => f.Path, f => f.Sha256, StringComparer.Ordinal);
        var found = snapshot.FileRecords.ToDictionary(f => f.Path, f => f.Sha256, StringComparer.Ordinal);
        var problems = found.Keys.Where(p => !recorded.ContainsKey(p)).Select(p => $"{p} is not a file its install recorded")
            .Concat(recorded.Keys.Where(p => !found.ContainsKey(p)).Select(p => $"{p}, recorded at install, is missing"))
            .Concat(recorded.Where(r => found.TryGetValue(r.Key, out var sha) && sha != r.Value).Select(r => $"{r.Key} was changed (recorded {Short(r.Value)}, found {Short(found[r.Key])})"))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (problems.Count == 0 && snapshot.ContentHash != record.ContentHash)
        {
            problems.Add($"recorded content {Short(record.ContentHash)}, found {Short(snapshot.ContentHash)}");
        }

        return problems.Count == 0 ? null : string.Join("; ", problems.Take(10)) + (problems.Count > 10 ? $"; and {problems.Count - 10} more" : string.Empty);
    }

    /// <summary>A pack comes after the packs that export what it depends on; a pack whose dependency no candidate exports is refused.</summary>
    private List<(PackInstalled Record, PackVerification Verification)> InDependencyOrder(List<(PackInstalled Record, PackVerification Verification)> candidates)
    {
        var ready = new List<(PackInstalled Record, PackVerification Verification)>();
        var exports = new HashSet<string>(StringComparer.Ordinal);
        var pending = candidates;
        while (pending.Count > 0)
        {
            var next = pending.Where(c => c.Verification.Manifest!.DependsOn.All(exports.Contains)).ToList();
            if (next.Count == 0)
            {
                foreach (var (record, verification) in pending)
                {
                    var missing = verification.Manifest!.DependsOn.Where(d => !exports.Contains(d));
                    Refuse(record.PackId, ReasonCodes.PackDependencyMissing, $"it depends on contract module(s) {string.Join(", ", missing)}, which no loadable pack exports. Install (or repair) the pack that exports them, or remove this pack.");
                }

                break;
            }

            ready.AddRange(next);
            exports.UnionWith(next.SelectMany(c => c.Verification.Manifest!.Exports));
            pending = [.. pending.Except(next)];
        }

        return ready;
    }

    /// <summary>
    /// A contract module for a pack that exports it or depends on it, from the shared (default) context so its types unify
    /// across packs: loaded there on first use, from the file recorded for its bound exporter, and only for a pack that
    /// passed every check and is loading (issue 16 item 4). A copy already there (a second start in one process) must be
    /// the same module. Null for a name no loading or loaded pack exports.
    /// </summary>
    private Assembly? SharedContract(string name)
    {
        if (!_shareable.TryGetValue(name, out var bytes))
        {
            return null;
        }

        lock (_shareable)
        {
            var loaded = AssemblyLoadContext.Default.Assemblies.FirstOrDefault(a => a.GetName().Name == name);
            if (loaded is null)
            {
                return AssemblyLoadContext.Default.LoadFromStream(new MemoryStream(bytes));
            }

            return loaded.ManifestModule.ModuleVersionId == ModuleVersionId(bytes)
                ? loaded
                : throw new FileLoadException($"another build of contract module {name} is already loaded in this process; restart the worker so that the file recorded at install is the one that loads.");
        }
    }

    private static Guid ModuleVersionId(byte[] bytes)
    {
        using var pe = new PEReader(new MemoryStream(bytes));
        var metadata = pe.GetMetadataReader();
        return metadata.GetGuid(metadata.GetModuleDefinition().Mvid);
    }

    private void Load(PackInstalled record, PackVerification verification)
    {
        var manifest = verification.Manifest!;
        var snapshot = verification.Snapshot!;
        var contracts = manifest.Exports.Concat(manifest.DependsOn).ToHashSet(StringComparer.Ordinal);
        var assemblies = verification.Assemblies.Where(a => a.Culture.Length == 0 && !contracts.Contains(a.Name)).ToDictionary(a => a.Name, a => a.Path, StringComparer.Ordinal);
        var context = new PackLoadContext(manifest.PackId, snapshot, assemblies, name => contracts.Contains(name) ? SharedContract(name) : null);
        _contexts.Add(context);
        var assembly = context.LoadRecorded(manifest.EntryAssembly)
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

/// <summary>A pack that passed every check in a process that loads no pack code (<see cref="PackCode.CheckOnly"/>).</summary>
/// <param name="PackId">The installed pack id.</param>
/// <param name="Version">Its manifest's semver.</param>
/// <param name="ContentHash">Its recorded content hash.</param>
internal sealed record CheckedPack(string PackId, string Version, string ContentHash);

/// <summary>Whether a host process runs pack code (issue 16 item 3: nothing of a pack runs in a process that does not need it).</summary>
internal enum PackCode
{
    /// <summary>
    /// Check every installed pack as a loading process would (files against the install record, the install checks on
    /// metadata, the contract bindings) and load none: for the CLI's verbs that run no pack handler (status, packs, log,
    /// keys and the other admin verbs). What a pack registers is then unknown to this process.
    /// </summary>
    CheckOnly,

    /// <summary>Check, then load the packs that pass and run their registration: the worker, and CLI verbs that run a pack's handler.</summary>
    Load,
}
