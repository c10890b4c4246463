using System.Text.RegularExpressions;
using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Naming;

namespace Ops.Core.Packs.Install;

/// <summary>Registers core.InstallPack and core.RemovePack with their events (issue 7, item 6).</summary>
internal static class PackInstallCommands
{
    public static void Register(IPackBuilder builder) => builder
        .AddEvent<PackInstalled>(PackInstallNames.PackInstalled)
        .AddEvent<PackRemoved>(PackInstallNames.PackRemoved)
        .AddCommand(PackInstallNames.InstallPack, SafetyClass.WriteInternal, CoreTarget<InstallPack>.Of("pack-<pack_id>", (c, _) => Bind(c.PackId)))
        .AddCommand(PackInstallNames.RemovePack, SafetyClass.WriteInternal, CoreTarget<RemovePack>.Of("pack-<pack_id>", (c, _) => Bind(c.PackId)));

    /// <summary>Both commands act on the pack the payload names: target <c>pack-&lt;pack_id&gt;</c>, derived by the kernel.</summary>
    private static TargetBinding Bind(string? packId) =>
        OpsTypeName.IsValidPackId(packId)
            ? TargetBinding.Bound(PackInstallNames.TargetOf(packId!))
            : TargetBinding.Refused("pack_id must match [a-z][a-z0-9_]* (at most 64 characters)");
}

/// <summary>
/// Decides installs and removals on core state only, so propose and commit decide alike: the folder's
/// bytes were verified by the host before it proposed, and the loader checks them again at every start.
/// </summary>
internal sealed partial class PackInstallHandlers : ICommandHandler<InstallPack>, ICommandHandler<RemovePack>
{
    public ValueTask<Decision> DecideAsync(CommandContext<InstallPack> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        var invalid = Validate(c);
        if (invalid is not null)
        {
            return Reject(ReasonCodes.InvalidPayload, invalid);
        }

        var core = context.Core;
        core.Packs.TryGetValue(c.PackId, out var current);
        if (current is not null && current.ContentHash == c.ContentHash)
        {
            return Reject(ReasonCodes.PackConflict, $"pack '{c.PackId}' {current.Version} is already installed with this content ({Short(c.ContentHash)}); nothing to do.");
        }

        if (current is not null && !c.Upgrade)
        {
            return Reject(ReasonCodes.PackConflict, $"pack id '{c.PackId}' is already installed as {current.Version} with content {Short(current.ContentHash)} from {current.Source}; this folder has content {Short(c.ContentHash)}. Installing another content under the same id needs an explicit upgrade (packs install --upgrade).");
        }

        if (current is null && c.Upgrade)
        {
            return Reject(ReasonCodes.PackNotInstalled, $"pack '{c.PackId}' is not installed, so there is nothing to upgrade; install it without --upgrade.");
        }

        var taken = c.Exports.Select(e => InstalledPacks.ExporterOf(core, e)).FirstOrDefault(b => b is not null && b.ExporterPackId != c.PackId);
        if (taken is not null)
        {
            return Reject(ReasonCodes.PackContractTaken, $"pack '{c.PackId}' exports contract module {taken.Name}, which installed pack '{taken.ExporterPackId}' already exports. A contract module has one exporter, so this pack was not installed: rename its contract module, or list {taken.Name} in depends_on and leave it out of exports.");
        }

        var missing = c.DependsOn.Where(d => !c.Exports.Contains(d, StringComparer.Ordinal) && InstalledPacks.ExporterOf(core, d) is null).ToList();
        if (missing.Count > 0)
        {
            return Reject(ReasonCodes.PackDependencyMissing, $"pack '{c.PackId}' depends on contract module(s) {string.Join(", ", missing)}, which no installed pack exports. Install the pack that exports them first.");
        }

        if (current is not null)
        {
            var dropped = current.Exports.Except(c.Exports, StringComparer.Ordinal).ToList();
            var broken = Dependents(core, c.PackId, dropped);
            if (broken.Count > 0)
            {
                return Reject(ReasonCodes.PackDependencyMissing, $"the upgrade drops contract module(s) {string.Join(", ", dropped)}, which installed pack(s) {string.Join(", ", broken)} depend on.");
            }
        }

        if (current is not null && BreakingForDependents(core, current, c) is { } breaking)
        {
            return Reject(ReasonCodes.PackContractBreaking, breaking);
        }

        var installed = new PackInstalled(c.PackId, c.Version, c.ContentHash, c.Exports, c.DependsOn, c.Source, c.PublisherKeyId, current?.ContentHash) { Files = c.Files, Contracts = c.Contracts };
        return ValueTask.FromResult(Decision.AcceptOn(PackInstallNames.TargetOf(c.PackId), installed).WithPreview(current, installed));
    }

    public ValueTask<Decision> DecideAsync(CommandContext<RemovePack> context, CancellationToken cancellationToken)
    {
        var c = context.Command;
        if (!OpsTypeName.IsValidPackId(c.PackId))
        {
            return Reject(ReasonCodes.InvalidPayload, "pack_id must match [a-z][a-z0-9_]* (at most 64 characters).");
        }

        if (!context.Core.Packs.TryGetValue(c.PackId, out var current))
        {
            return Reject(ReasonCodes.PackNotInstalled, $"pack '{c.PackId}' is not installed.");
        }

        var broken = Dependents(context.Core, c.PackId, current.Exports);
        if (broken.Count > 0)
        {
            return Reject(ReasonCodes.PackDependencyMissing, $"installed pack(s) {string.Join(", ", broken)} depend on contract module(s) of '{c.PackId}'; remove them first.");
        }

        var reason = string.IsNullOrWhiteSpace(c.Reason) ? "removed" : c.Reason;
        return ValueTask.FromResult(Decision.AcceptOn(PackInstallNames.TargetOf(c.PackId), new PackRemoved(c.PackId, current.ContentHash, reason)).WithPreview(current, null));
    }

    /// <summary>
    /// Constitution §4 at install (issue 16 item 5): for every contract module the upgrade keeps exporting and another
    /// installed pack depends on, the shipped contract registry is diffed against the one recorded at the last install;
    /// a breaking change, or a changed module that cannot be diffed, refuses the upgrade. Null when nothing breaks.
    /// </summary>
    private static string? BreakingForDependents(CoreState core, PackInstalled current, InstallPack c)
    {
        foreach (var contract in c.Exports.Intersect(current.Exports, StringComparer.Ordinal))
        {
            var dependents = Dependents(core, c.PackId, [contract]);
            var before = current.Contracts?.FirstOrDefault(r => r.Name == contract);
            var after = c.Contracts?.FirstOrDefault(r => r.Name == contract);
            if (dependents.Count == 0 || (before is not null && after is not null && before.Sha256 == after.Sha256))
            {
                continue;
            }

            var who = $"installed pack(s) {string.Join(", ", dependents)} depend on it";
            if (before?.Registry is not { } was || after?.Registry is not { } now)
            {
                return $"the upgrade changes contract module {contract} and {who}, but {(before?.Registry is null ? "the installed version" : "this folder")} ships no contract registry ({contract}.contract-registry.json) to prove the change compatible, so it was not installed. Ship the registry the pack's tests generate, or remove the dependents first.";
            }

            var changes = ContractDiff.Compare(System.Text.Json.Nodes.JsonNode.Parse(was.GetRawText())!.AsObject(), System.Text.Json.Nodes.JsonNode.Parse(now.GetRawText())!.AsObject()).Where(d => d.IsBreaking).ToList();
            if (changes.Count > 0)
            {
                var listed = string.Join("; ", changes.Take(5).Select(d => $"{d.TypeName}{(d.Field is null ? string.Empty : $" field '{d.Field}'")}: {d.Change}"));
                return $"the upgrade breaks contract module {contract}, and {who}: {listed}{(changes.Count > 5 ? $" (and {changes.Count - 5} more)" : string.Empty)}. Nothing was installed. A breaking change ships as a new contract module (a new major, for example {contract}.V2) beside the old one, with an upcaster for the events already in the log; or remove the dependents first.";
            }
        }

        return null;
    }

    private static string? Validate(InstallPack c)
    {
        if (!OpsTypeName.IsValidPackId(c.PackId))
        {
            return "pack_id must match [a-z][a-z0-9_]* (at most 64 characters).";
        }

        if (c.Version is null || !SemVer().IsMatch(c.Version))
        {
            return $"version '{c.Version}' is not semver.";
        }

        if (!Identity.ContentHash.IsWellFormed(c.ContentHash))
        {
            return "content_hash must be 64 lowercase hex characters.";
        }

        if (c.Exports is null || c.DependsOn is null || c.Exports.Concat(c.DependsOn).Any(a => a is null || !a.EndsWith(".Contracts", StringComparison.Ordinal) || a.Length > 200))
        {
            return "exports and depends_on list only *.Contracts assembly names.";
        }

        if (string.IsNullOrWhiteSpace(c.Source) || !Path.IsPathFullyQualified(c.Source) || c.Source.Length > 1_024)
        {
            return "source must be the absolute path of the verified pack folder.";
        }

        return ValidateFiles(c);
    }

    /// <summary>The file list and contract records (issue 16 items 3 and 4): well formed, hashing to the content hash, one contract record per export.</summary>
    private static string? ValidateFiles(InstallPack c)
    {
        if (c.Files is null)
        {
            return c.Contracts is null ? null : "contracts needs files: send both or neither.";
        }

        if (c.Files.Count == 0 || c.Files.Count > MaxFiles || c.Files.Any(f => f is null || !IsRelativePath(f.Path) || !Identity.ContentHash.IsWellFormed(f.Sha256)))
        {
            return $"files must list 1 to {MaxFiles} files, each a relative path inside the folder ('/' separators, no '..', not pack.sig) with its SHA-256 (64 lowercase hex characters).";
        }

        if (c.Files.Select(f => f.Path).Distinct(StringComparer.Ordinal).Count() != c.Files.Count)
        {
            return "files names a path twice.";
        }

        if (PackFileRecord.ContentHashOf(c.Files) != c.ContentHash)
        {
            return "files do not hash to content_hash: they are not the files of the folder that was verified.";
        }

        var files = c.Files.ToDictionary(f => f.Path, f => f.Sha256, StringComparer.Ordinal);
        if (c.Contracts is null
            || c.Contracts.Count != c.Exports.Count
            || c.Contracts.Any(r => r is null || !c.Exports.Contains(r.Name, StringComparer.Ordinal) || string.IsNullOrWhiteSpace(r.Version) || r.Version.Length > 50 || r.Path is null || !files.TryGetValue(r.Path, out var sha) || sha != r.Sha256)
            || c.Contracts.Select(r => r.Name).Distinct(StringComparer.Ordinal).Count() != c.Contracts.Count)
        {
            return "contracts must hold one record per export: its name, version, and the path and SHA-256 of a file in files.";
        }

        return null;
    }

    private static bool IsRelativePath(string? path) =>
        !string.IsNullOrEmpty(path) && path.Length <= 1_024 && path != PackSignatureFileName && !path.StartsWith('/') && !path.Contains('\\', StringComparison.Ordinal)
        && !Path.IsPathRooted(path) && path.Split('/').All(segment => segment.Length > 0 && segment != "." && segment != "..");

    /// <summary>The publisher signature's file, which the content hash and the file list leave out (constitution A7).</summary>
    private const string PackSignatureFileName = "pack.sig";

    /// <summary>Most files a pack folder may list: a bound on the record's size, not a rule of taste.</summary>
    private const int MaxFiles = 10_000;

    private static List<string> Dependents(CoreState core, string packId, IReadOnlyCollection<string> contracts) =>
        [.. core.Packs.Values.Where(p => p.PackId != packId && p.DependsOn.Any(d => contracts.Contains(d, StringComparer.Ordinal))).Select(p => p.PackId).Order(StringComparer.Ordinal)];

    private static string Short(string hash) => hash.Length > 16 ? hash[..16] : hash;

    private static ValueTask<Decision> Reject(string code, string reason) => ValueTask.FromResult(Decision.Reject(code, reason));

    [GeneratedRegex(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex SemVer();
}
