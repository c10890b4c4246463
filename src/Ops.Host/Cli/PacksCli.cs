using System.CommandLine;
using System.Security.Cryptography;
using Ops.Core.Commands;
using Ops.Core.Hosting;
using Ops.Core.Packs.Install;
using Ops.Host.Packs;
using Ops.Verification;

namespace Ops.Host.Cli;

/// <summary>
/// <c>packs list|install|remove|sign|verify</c>. Installing and removing are admin acts consented with the
/// acting actor's signing key (core.InstallPack / core.RemovePack); a running worker loads what is installed
/// at its next start. See docs/pack-authoring.md.
/// </summary>
internal static class PacksCli
{
    public const string InstallRoute = "cli packs install";

    public static Command Command(Option<string?> asOption, Option<string?> keyOption, TextWriter output, TextWriter error, Func<TextWriter, Func<OpsSession, PackLoader, Task<int>>, Task<int>> withKernel)
    {
        var list = new Command("list", "List installed packs (loaded, or refused with the reason) and pack folders beside the executable that are not installed.");
        list.SetAction((parse, ct) => withKernel(error, async (kernel, loader) =>
        {
            foreach (var installed in await CliLists.OrNoneAsync(output, await kernel.Admin.InstalledPacksAsync(ct), "no packs are installed"))
            {
                var loaded = kernel.Runtime.Catalog.Packs.FirstOrDefault(p => p.PackId == installed.PackId && p.ContentHash == installed.ContentHash);
                var refused = loader.Refused.FirstOrDefault(r => r.PackId == installed.PackId && r.Code != Ops.Core.Errors.ReasonCodes.PackNotInstalled);
                var passed = loader.NotLoaded.Any(p => p.PackId == installed.PackId && p.ContentHash == installed.ContentHash);
                // This verb loads no pack code (issue 16 item 3): a pack that passes every check is reported as checked.
                var status = loaded is not null ? "loaded" : refused is not null ? "REFUSED" : passed ? "checked (loads in the worker)" : "installed (loads at the next start)";
                await output.WriteLineAsync($"{installed.PackId,-12} {installed.Version,-8} {status}  content={installed.ContentHash[..16]}  source={installed.Source}{(installed.PublisherKeyId is { } p ? "  publisher=" + p : string.Empty)}  exports={(installed.Exports.Count == 0 ? "none" : string.Join(",", installed.Exports))}");
                if (refused is not null && loaded is null)
                {
                    await output.WriteLineAsync($"{"",-12} {refused.Code}: {refused.Reason}");
                }
            }

            foreach (var notInstalled in loader.Refused.Where(r => r.Code == Ops.Core.Errors.ReasonCodes.PackNotInstalled))
            {
                await output.WriteLineAsync($"{notInstalled.PackId,-12} {"",-8} NOT INSTALLED  {notInstalled.Reason}");
            }

            await output.WriteLineAsync($"Packs folder: {HostComposition.PacksDirectory(HostComposition.BuildConfiguration())}");
            return 0;
        }));

        var folder = new Argument<string>("folder") { Description = "The pack folder (pack.json, the entry assembly and its contracts)." };
        var upgrade = new Option<bool>("--upgrade") { Description = "Replace the installed pack of the same id with this folder's content." };
        var install = new Command("install", "Verify a pack folder (manifest, content hash, signature, architecture rules) and install it, consented with your signing key. It loads at the next start.") { folder, upgrade };
        install.SetAction((parse, ct) => withKernel(error, async (kernel, loader) =>
        {
            var caller = AdminCli.Caller(kernel, parse.GetValue(asOption));
            var outcome = await InstallAsync(kernel, loader.Verifier, caller, parse.GetValue(keyOption) ?? ConsentCli.DefaultKeyFile(caller.Actor.Id), parse.GetValue(folder)!, parse.GetValue(upgrade), output, error, ct);
            return outcome ? 0 : 1;
        }));

        var packId = new Argument<string>("pack-id");
        var reason = new Option<string>("--reason") { Description = "Why (recorded).", DefaultValueFactory = _ => "removed by operator" };
        var removeYes = CliConfirm.Yes("remove the pack");
        var remove = new Command("remove", "Remove an installed pack (consented; needs --yes). Its events stay in the log; it is not loaded from the next start, and its commands are refused at once.") { packId, reason, removeYes };
        remove.SetAction((parse, ct) => withKernel(error, async (kernel, _) =>
        {
            var id = parse.GetValue(packId)!;
            if (!parse.GetValue(removeYes))
            {
                return await CliConfirm.RefuseAsync(error, $"removing pack '{id}' refuses its commands at once and leaves it unloaded from the next start (its events stay in the log).");
            }

            var caller = AdminCli.Caller(kernel, parse.GetValue(asOption));
            var outcome = await ConsentCli.SendAsync(kernel, caller, parse.GetValue(keyOption) ?? ConsentCli.DefaultKeyFile(caller.Actor.Id), PackInstallNames.RemovePack, PackInstallNames.TargetOf(id), new RemovePack(id, parse.GetValue(reason)!), output, ct);
            return await AdminCli.ExitAsync(outcome, output, error);
        }));

        var signFolder = new Argument<string>("folder");
        var sign = new Command("sign", "Sign a pack folder's content hash with a publisher key (--key <pem>, ECDSA P-256, e.g. from 'keys new'); writes pack.sig. Reads no database.") { signFolder };
        sign.SetAction(async (parse, ct) =>
        {
            try
            {
                var keyFile = parse.GetValue(keyOption) ?? throw new Ops.Core.Errors.OpsException(Ops.Core.Errors.ReasonCodes.BadRequest, "--key <publisher key PEM> is required.");
                using var key = ConsentCli.LoadKey(keyFile);
                var signed = PackSignature.Sign(parse.GetValue(signFolder)!, key);
                await output.WriteLineAsync($"Signed content {signed.ContentHash} with publisher key {signed.KeyId}; wrote {PackSignature.FileName}.");
                await output.WriteLineAsync($"Workers trust it with: Ops__PackSigning__TrustedPublishers__<name>={Convert.ToBase64String(key.ExportSubjectPublicKeyInfo())}");
                return 0;
            }
            catch (Exception ex) when (ex is Ops.Core.Errors.OpsException or IOException or UnauthorizedAccessException or CryptographicException or ArgumentException or InvalidDataException)
            {
                return await CliErrors.ReportAsync(error, ex, "Nothing was signed.");
            }
        });

        var verifyFolder = new Argument<string>("folder");
        var verify = new Command("verify", "Run the install checks on a pack folder and print what they find. Changes nothing.") { verifyFolder };
        verify.SetAction(async (parse, ct) =>
        {
            try
            {
                var verification = new PackVerifier(PackSigningOptions.From(HostComposition.BuildConfiguration())).Verify(parse.GetValue(verifyFolder)!);
                await PrintAsync(verification, output, error);
                return verification.IsAccepted ? 0 : 1;
            }
            catch (Ops.Core.Errors.OpsException ex)
            {
                return await CliErrors.ReportAsync(error, ex);
            }
        });

        return new Command("packs", "Install, remove, sign, verify and list packs (verified installs: docs/pack-authoring.md).") { list, install, remove, sign, verify };
    }

    /// <summary>Verify, then propose, sign with <paramref name="keyFile"/> and commit core.InstallPack; every refusal leaves a safety event.</summary>
    public static async Task<bool> InstallAsync(OpsSession kernel, PackVerifier verifier, CallerContext caller, string keyFile, string folder, bool upgrade, TextWriter output, TextWriter error, CancellationToken ct)
    {
        var (command, verification) = await PackInstaller.VerifyAsync(kernel.Runtime, verifier, caller, folder, upgrade, InstallRoute, ct);
        if (command is null)
        {
            await PrintAsync(verification, output, error);
            return false;
        }

        var outcome = await ConsentCli.SendAsync(kernel, caller, keyFile, PackInstallNames.InstallPack, PackInstallNames.TargetOf(command.PackId), command, output, ct);
        if (!outcome.IsAccepted)
        {
            await kernel.Runtime.RecordRefusalAsync(caller, InstallRoute, outcome.ReasonCode!, $"pack '{command.PackId}' ({verification.Directory}): {outcome.Reason}", ct);
            await AdminCli.ReportAsync(outcome, output, error);
            return false;
        }

        await output.WriteLineAsync($"Installed pack '{command.PackId}' {command.Version} (content {command.ContentHash[..16]}, {verification.AssembliesChecked.Count} assembl{(verification.AssembliesChecked.Count == 1 ? "y" : "ies")} checked{(command.PublisherKeyId is { } p ? ", signed by publisher " + p : ", unsigned")}) from {command.Source}. It loads at the next start of the worker.");
        return true;
    }

    /// <summary>
    /// <c>init</c>: installs the packs shipped beside the executable (build/Packs.targets puts them in
    /// <c>&lt;host bin&gt;/packs/</c>), each after the same checks and with the admin's consent, in dependency order.
    /// A refused one is reported and recorded; init itself still succeeds.
    /// </summary>
    public static async Task InstallBundledAsync(OpsSession kernel, CallerContext admin, string keyFile, TextWriter output, TextWriter error, CancellationToken ct)
    {
        var verifier = new PackVerifier(PackSigningOptions.From(HostComposition.BuildConfiguration()));
        var pending = PackLoader.BundledFolders(HostComposition.PacksDirectory(HostComposition.BuildConfiguration())).ToList();
        while (pending.Count > 0)
        {
            var installedPacks = await kernel.Admin.InstalledPacksAsync(ct);
            var ready = pending.Where(f => TryManifest(f)?.DependsOn.All(d => installedPacks.Any(p => p.Exports.Contains(d, StringComparer.Ordinal))) ?? true).ToList();
            // What is left waits on a contract no folder provides: installing each reports why.
            var last = ready.Count == 0;
            foreach (var folder in last ? pending : ready)
            {
                var installed = await InstallAsync(kernel, verifier, admin, keyFile, folder, upgrade: false, TextWriter.Null, error, ct);
                await (installed ? output.WriteLineAsync($"Installed bundled pack from {folder}.") : error.WriteLineAsync($"Bundled pack {folder} was not installed (see above); the worker runs without it."));
            }

            if (last)
            {
                return;
            }

            pending = [.. pending.Except(ready)];
        }
    }

    private static PackManifest? TryManifest(string folder)
    {
        try
        {
            return PackManifest.Read(Path.Combine(folder, PackManifest.FileName));
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            return null;
        }
    }

    private static async Task PrintAsync(PackVerification verification, TextWriter output, TextWriter error)
    {
        if (verification.IsAccepted)
        {
            await output.WriteLineAsync($"OK: pack '{verification.Manifest!.PackId}' {verification.Manifest.Version}, content {verification.Snapshot!.ContentHash}, {(verification.PublisherKeyId is { } p ? "signed by publisher " + p : "unsigned")}; checked {string.Join(", ", verification.AssembliesChecked)}.");
            return;
        }

        await error.WriteLineAsync($"REFUSED ({verification.ReasonCode}): pack '{verification.Manifest?.PackId ?? Path.GetFileName(verification.Directory)}' at {verification.Directory}. Nothing was installed.");
        foreach (var finding in verification.Findings)
        {
            await error.WriteLineAsync("  " + finding);
        }
    }
}
