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
        .AddCommand(PackInstallNames.InstallPack, SafetyClass.WriteInternal, CommandTarget<InstallPack>.Core("pack-<pack_id>", (c, _) => Bind(c.PackId)))
        .AddCommand(PackInstallNames.RemovePack, SafetyClass.WriteInternal, CommandTarget<RemovePack>.Core("pack-<pack_id>", (c, _) => Bind(c.PackId)));

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

        var taken = c.Exports.Select(e => (Contract: e, Owner: InstalledPacks.ExporterOf(core, e))).FirstOrDefault(x => x.Owner is not null && x.Owner.PackId != c.PackId);
        if (taken.Owner is not null)
        {
            return Reject(ReasonCodes.PackConflict, $"contract module {taken.Contract} is already exported by installed pack '{taken.Owner.PackId}'; a contract has one owner.");
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

        var installed = new PackInstalled(c.PackId, c.Version, c.ContentHash, c.Exports, c.DependsOn, c.Source, c.PublisherKeyId, current?.ContentHash);
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

        return null;
    }

    private static List<string> Dependents(CoreState core, string packId, IReadOnlyCollection<string> contracts) =>
        [.. core.Packs.Values.Where(p => p.PackId != packId && p.DependsOn.Any(d => contracts.Contains(d, StringComparer.Ordinal))).Select(p => p.PackId).Order(StringComparer.Ordinal)];

    private static string Short(string hash) => hash.Length > 16 ? hash[..16] : hash;

    private static ValueTask<Decision> Reject(string code, string reason) => ValueTask.FromResult(Decision.Reject(code, reason));

    [GeneratedRegex(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex SemVer();
}
