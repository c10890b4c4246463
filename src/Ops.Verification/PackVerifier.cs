using System.Reflection.PortableExecutable;
using Mono.Cecil;
using Ops.Core.Errors;
using Ops.Core.Packs.Install;

namespace Ops.Verification;

/// <summary>
/// The checks a pack folder passes before it is installed, and again before every load (constitution §3:
/// verification before activation). In order: the folder is read once (<see cref="PackSnapshot"/>); the
/// manifest; the entry and exported assemblies are there; the publisher signature, when present or
/// required; and the allow-list (<see cref="PackRules"/>) on every managed assembly of the folder, whatever its
/// name or extension (a <c>.json</c> that is a PE file, an assembly named <c>System.*</c>), except the contract
/// modules of the packs it declares in depends_on, which the loader takes from their exporters. Reads only,
/// from the snapshot's bytes; loads nothing.
/// </summary>
public sealed class PackVerifier(PackSigningOptions signing)
{
    /// <summary>The signing policy the checks apply (<c>Ops:PackSigning</c>).</summary>
    public PackSigningOptions Signing { get; } = signing;

    /// <summary>When set, receives every allow-list entry that allowed something (the tests show each entry is needed).</summary>
    internal ISet<AllowListEntry>? UsedEntries { get; set; }

    /// <summary>Runs every check on <paramref name="directory"/>. Reads only; a refused pack is described, never partly accepted.</summary>
    /// <param name="directory">The pack folder.</param>
    /// <returns>The verification; <see cref="PackVerification.IsAccepted"/> when nothing was found.</returns>
    public PackVerification Verify(string directory)
    {
        var root = Path.GetFullPath(directory);
        PackSnapshot snapshot;
        try
        {
            snapshot = PackSnapshot.Read(root);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return Refused(root, null, null, new PackFinding(PackRuleIds.Manifest, ReasonCodes.PackRefused, ex.Message + "."));
        }

        if (!snapshot.Files.TryGetValue(PackManifest.FileName, out var manifestBytes))
        {
            return Refused(root, snapshot, null, new PackFinding(PackRuleIds.Manifest, ReasonCodes.PackRefused, $"{root} has no {PackManifest.FileName}."));
        }

        PackManifest manifest;
        try
        {
            manifest = PackManifest.Parse(manifestBytes, Path.Combine(root, PackManifest.FileName));
        }
        catch (InvalidDataException ex)
        {
            return Refused(root, snapshot, null, new PackFinding(PackRuleIds.Manifest, ReasonCodes.PackRefused, ex.Message));
        }

        var findings = new List<PackFinding>();
        foreach (var required in new[] { manifest.EntryAssembly }.Concat(manifest.Exports.Select(e => e + ".dll")))
        {
            if (!snapshot.Files.ContainsKey(required))
            {
                findings.Add(new PackFinding(PackRuleIds.Manifest, ReasonCodes.PackRefused, $"{required} is named by {PackManifest.FileName} but is missing from {root}."));
            }
        }

        var (publisherKeyId, signatureProblem) = PackSignature.Verify(snapshot, Signing);
        if (signatureProblem is not null)
        {
            findings.Add(signatureProblem);
        }

        var checkedAssemblies = findings.Count == 0 ? CheckAssemblies(snapshot, manifest, findings, UsedEntries) : [];
        return new PackVerification(root, manifest, snapshot, publisherKeyId, findings, [.. checkedAssemblies.Select(a => a.Name)]) { Assemblies = checkedAssemblies };
    }

    private static List<PackAssemblyFile> CheckAssemblies(PackSnapshot snapshot, PackManifest manifest, List<PackFinding> findings, ISet<AllowListEntry>? used)
    {
        var named = new HashSet<string>([manifest.EntryAssembly, .. manifest.Exports.Select(e => e + ".dll")], StringComparer.Ordinal);
        var modules = new List<(string Path, ModuleDefinition Module)>();
        var resolver = new PackRules.FolderAssemblyResolver(manifest.DependsOn.ToHashSet(StringComparer.Ordinal));
        try
        {
            // Every managed file, whatever its name or extension: the loader may be pointed at any of them.
            foreach (var (path, bytes) in snapshot.Files)
            {
                if (!IsManaged(bytes))
                {
                    if (named.Contains(path))
                    {
                        findings.Add(new PackFinding(PackRuleIds.Manifest, ReasonCodes.PackRefused, $"{path} is named by {PackManifest.FileName} but is not a managed assembly.") { File = path });
                    }

                    continue;
                }

                try
                {
                    var module = ModuleDefinition.ReadModule(new MemoryStream(bytes), PackRules.ReaderParametersFor(resolver));
                    modules.Add((path, module));
                    resolver.Add(module);
                }
                catch (Exception ex) when (ex is BadImageFormatException or InvalidOperationException or ArgumentException or IOException or NotSupportedException)
                {
                    findings.Add(new PackFinding(PackRuleIds.Manifest, ReasonCodes.PackRefused, $"{path} is a managed assembly the checks cannot read: {ex.Message}") { File = path });
                }
            }

            foreach (var (path, module) in modules.Where(m => manifest.Exports.Contains(m.Module.Assembly.Name.Name, StringComparer.Ordinal)))
            {
                var contract = module.Assembly.Name.Name;
                if (snapshot.Files.TryGetValue(ContractRegistryCheck.FileOf(contract), out var registry))
                {
                    findings.AddRange(ContractRegistryCheck.Check(contract, registry, module));
                }
            }

            var own = modules.Select(m => m.Module.Assembly.Name.Name).ToHashSet(StringComparer.Ordinal);
            var context = new PackAssemblyContext(manifest.PackId, manifest.Exports.ToHashSet(StringComparer.Ordinal), manifest.DependsOn.ToHashSet(StringComparer.Ordinal), own);
            var checkedFiles = new List<PackAssemblyFile>();
            foreach (var (path, module) in modules)
            {
                var name = module.Assembly.Name.Name;

                // The one kind of file the loader never loads for this pack: a contract module of a pack it depends on,
                // which comes from its exporter. Only when the manifest says so, and never a file the manifest names.
                if (context.DependsOn.Contains(name) && !named.Contains(path))
                {
                    continue;
                }

                try
                {
                    findings.AddRange(PackRules.Check(module, context, path, used: used));
                }
                catch (Exception ex) when (ex is BadImageFormatException or InvalidOperationException or ArgumentException or NotSupportedException or NullReferenceException or IndexOutOfRangeException or AssemblyResolutionException)
                {
                    // Metadata the walk cannot follow is refused, not skipped: a malformed table must not hide what it names.
                    findings.Add(new PackFinding(PackRuleIds.Manifest, ReasonCodes.PackRefused, $"{path} is a managed assembly the checks cannot read: {ex.Message}") { File = path });
                }

                checkedFiles.Add(new PackAssemblyFile(path, name, module.Assembly.Name.Version?.ToString() ?? "0.0.0.0", module.Assembly.Name.Culture ?? string.Empty));
            }

            // The loader resolves an assembly by its name to one recorded file (issue 16 item 3): a name carried by two files has no one file.
            foreach (var twice in checkedFiles.GroupBy(a => (a.Name, a.Culture)).Where(g => g.Count() > 1))
            {
                findings.Add(new PackFinding(PackRuleIds.Manifest, ReasonCodes.PackRefused, $"assembly {twice.Key.Name} is carried by {string.Join(" and ", twice.Select(a => a.Path))}; the loader takes each assembly from one file, so keep one.") { File = twice.First().Path });
            }

            return checkedFiles;
        }
        finally
        {
            foreach (var (_, module) in modules)
            {
                module.Dispose();
            }
        }
    }

    private static bool IsManaged(byte[] bytes)
    {
        // "MZ": anything else is no PE file, and reading it as one only costs time.
        if (bytes.Length < 2 || bytes[0] != (byte)'M' || bytes[1] != (byte)'Z')
        {
            return false;
        }

        try
        {
            using var reader = new PEReader(new MemoryStream(bytes));
            return reader.HasMetadata;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

    private static PackVerification Refused(string directory, PackSnapshot? snapshot, PackManifest? manifest, PackFinding finding) =>
        new(directory, manifest, snapshot, null, [finding], []);
}

/// <summary>The outcome of <see cref="PackVerifier.Verify"/>.</summary>
/// <param name="Directory">The folder checked.</param>
/// <param name="Manifest">Its manifest, when it parsed.</param>
/// <param name="Snapshot">The bytes checked, which are the bytes to load.</param>
/// <param name="PublisherKeyId">The trusted publisher whose signature verified, if any.</param>
/// <param name="Findings">Every reason to refuse; empty when the pack passed.</param>
/// <param name="AssembliesChecked">The assemblies the rules ran on.</param>
public sealed record PackVerification(string Directory, PackManifest? Manifest, PackSnapshot? Snapshot, string? PublisherKeyId, IReadOnlyList<PackFinding> Findings, IReadOnlyList<string> AssembliesChecked)
{
    /// <summary>
    /// The managed files the rules ran on, with the assembly name and version their metadata declares: the only files the
    /// loader takes a pack's assemblies from, by path (issue 16 item 3). Empty when the checks did not get that far.
    /// </summary>
    public IReadOnlyList<PackAssemblyFile> Assemblies { get; init; } = [];

    /// <summary>
    /// The file list and contract records an install of this folder records (issue 16 items 3 and 4); empty when the pack
    /// was refused.
    /// </summary>
    /// <returns>The files (pack.sig excluded) and one record per exported contract module.</returns>
    public (IReadOnlyList<PackFileRecord> Files, IReadOnlyList<PackContractRecord> Contracts) InstallRecords()
    {
        if (!IsAccepted || Snapshot is null || Manifest is null)
        {
            return ([], []);
        }

        var hashes = Snapshot.FileRecords.ToDictionary(f => f.Path, f => f.Sha256, StringComparer.Ordinal);
        var contracts = Manifest.Exports
            .Select(name => Assemblies.Single(a => a.Path == name + ".dll"))
            .Select(a => new PackContractRecord(a.Name, a.Version, hashes[a.Path], a.Path) { Registry = RegistryOf(a.Name) })
            .ToList();
        return (Snapshot.FileRecords, contracts);
    }

    /// <summary>Whether the pack passed every check.</summary>
    public bool IsAccepted => Findings.Count == 0;

    /// <summary>The contract registry the folder ships for an exported contract (checked against its metadata), or null when it ships none.</summary>
    private System.Text.Json.JsonElement? RegistryOf(string contract) =>
        Snapshot!.Files.TryGetValue(ContractRegistryCheck.FileOf(contract), out var bytes) ? System.Text.Json.JsonDocument.Parse(bytes).RootElement.Clone() : null;

    /// <summary>The reason code to report: a signature problem first, else the first finding's.</summary>
    public string ReasonCode => Findings.FirstOrDefault(f => f.Code == ReasonCodes.PackSignatureInvalid)?.Code ?? Findings.FirstOrDefault()?.Code ?? string.Empty;

    /// <summary>One sentence per finding, prefixed with the pack and folder.</summary>
    public string Describe() =>
        $"pack '{Manifest?.PackId ?? Path.GetFileName(Directory)}' ({Directory}) was refused: {string.Join(" ", Findings.Select(f => f.ToString()))}";
}

/// <summary>A managed file of a pack folder the install checks ran on.</summary>
/// <param name="Path">Its relative path in the folder, '/' separators.</param>
/// <param name="Name">The assembly's simple name, from its metadata.</param>
/// <param name="Version">The assembly version, from its metadata.</param>
/// <param name="Culture">The assembly's culture; empty for a neutral one.</param>
public sealed record PackAssemblyFile(string Path, string Name, string Version, string Culture);
