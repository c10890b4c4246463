using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using Ops.Core.Capabilities;
using Ops.Core.Consent;
using Ops.Core.Hosting;
using Ops.Core.Identity;

namespace Ops.Host.Cli;

/// <summary>
/// Who may act, and with what (issue 7): <c>actors list|disable|enable</c>, <c>api-keys list|issue|revoke</c>,
/// <c>keys list|rotate</c>, and break-glass <c>admin recover</c>. Every change is proposed, signed with the acting
/// actor's key and committed like any other (seed 000); a revocation takes effect on the next request of every
/// process sharing the database.
/// </summary>
internal static class IdentityCli
{
    /// <summary><c>actors list|disable|enable</c>, added beside <c>actors add</c>.</summary>
    public static IEnumerable<Command> ActorCommands(Option<string?> asOption, Option<string?> keyOption, TextWriter output, TextWriter error)
    {
        string KeyFor(ParseResult parse, Ops.Core.Commands.CallerContext caller) => parse.GetValue(keyOption) ?? ConsentCli.DefaultKeyFile(caller.Actor.Id);

        // actors list | disable | enable
        var list = new Command("list", "List actors: id, kind, tenant, status, API keys and signing keys.");
        list.SetAction((parse, ct) => AdminCli.WithKernelAsync(error, async (kernel, _) =>
        {
            await output.WriteLineAsync($"{"actor",-20} {"kind",-8} {"tenant",-12} {"status",-9} api-keys signing-keys");
            foreach (var actor in await kernel.Admin.ActorsAsync(kernel.Runtime.Time.GetUtcNow(), ct))
            {
                var status = actor.DisabledReason is null ? "enabled" : "DISABLED";
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{actor.ActorId,-20} {actor.Kind.ToString().ToLowerInvariant(),-8} {actor.TenantId,-12} {status,-9} {actor.ActiveApiKeys,8} {actor.ActiveSignerKeys,12}"));
            }

            return 0;
        }));
        var actorId = new Argument<string>("actor-id") { Description = "The actor." };
        var reason = new Option<string>("--reason") { Description = "Why (recorded in the log).", DefaultValueFactory = _ => "by operator" };
        var disableYes = CliConfirm.Yes("disable the last administrator");
        var disable = new Command("disable", "Disable an actor: it stops authenticating and acting at once, and capabilities granted under its capabilities stop authorizing anything. Disabling the last administrator needs --yes.") { actorId, reason, disableYes };
        disable.SetAction((parse, ct) => Send(parse, ct, "core.DisableActor", caller => new DisableActor(parse.GetValue(actorId)!, parse.GetValue(reason)!), parse.GetValue(disableYes) ? null : kernel => CliConfirm.LastAdministratorAsync(kernel, parse.GetValue(actorId), null, ct)));
        var enableId = new Argument<string>("actor-id") { Description = "The actor." };
        var enable = new Command("enable", "Enable a disabled actor again.") { enableId };
        enable.SetAction((parse, ct) => Send(parse, ct, "core.EnableActor", _ => new EnableActor(parse.GetValue(enableId)!)));
        yield return list;
        yield return disable;
        yield return enable;

        Task<int> Send(ParseResult parse, CancellationToken ct, string type, Func<Ops.Core.Commands.CallerContext, object> payload, Func<OpsSession, Task<string?>>? confirm = null) =>
            AdminCli.WithKernelAsync(error, async (kernel, _) =>
            {
                if (confirm is not null && await confirm(kernel) is { } consequence)
                {
                    return await CliConfirm.RefuseAsync(error, consequence);
                }

                var caller = AdminCli.Caller(kernel, parse.GetValue(asOption));
                var outcome = await ConsentCli.SendAsync(kernel, caller, KeyFor(parse, caller), type, null, payload(caller), output, ct);
                return await AdminCli.ExitAsync(outcome, output, error);
            });
    }

    /// <summary><c>api-keys</c> and <c>admin recover</c>.</summary>
    public static IEnumerable<Command> Commands(Option<string?> asOption, Option<string?> keyOption, TextWriter output, TextWriter error)
    {
        string KeyFor(ParseResult parse, Ops.Core.Commands.CallerContext caller) => parse.GetValue(keyOption) ?? ConsentCli.DefaultKeyFile(caller.Actor.Id);
        var reason = new Option<string>("--reason") { Description = "Why (recorded in the log).", DefaultValueFactory = _ => "by operator" };

        // api-keys list | issue | revoke
        var actorFilter = new Option<string?>("--actor") { Description = "Only this actor's keys." };
        var keysList = new Command("list", "List API keys (ids and owners; secrets are never stored).") { actorFilter };
        keysList.SetAction((parse, ct) => AdminCli.WithKernelAsync(error, async (kernel, _) =>
        {
            foreach (var key in await CliLists.OrNoneAsync(output, (await kernel.Admin.ApiKeysAsync(ct)).Where(k => parse.GetValue(actorFilter) is not { } only || k.ActorId == only), "no API keys"))
            {
                await output.WriteLineAsync($"{key.KeyId}  actor={key.ActorId}  {(key.RevokedReason is { } r ? $"REVOKED ({r})" : "active")}");
            }

            return 0;
        }));
        var issueFor = new Argument<string>("actor-id") { Description = "Whose key." };
        var issue = new Command("issue", "Issue a new API key for an actor and print it once (only its SHA-256 is stored).") { issueFor };
        issue.SetAction((parse, ct) => AdminCli.WithKernelAsync(error, async (kernel, _) =>
        {
            var caller = AdminCli.Caller(kernel, parse.GetValue(asOption));
            var key = OpsAdministration.NewApiKey();
            var outcome = await ConsentCli.SendAsync(kernel, caller, KeyFor(parse, caller), "core.IssueApiKey", null, new IssueApiKey(key.KeyId, parse.GetValue(issueFor)!, key.SecretSha256), output, ct);
            if (!await AdminCli.ReportAsync(outcome, output, error))
            {
                return 1;
            }

            await output.WriteLineAsync($"API key for '{parse.GetValue(issueFor)}' (shown once, stored only as a hash):");
            await output.WriteLineAsync(key.Token);
            return 0;
        }));
        var revokeId = new Argument<string>("key-id") { Description = "The API key id (the part after ops_)." };
        var revokeYes = CliConfirm.Yes("revoke the last administrator's last API key");
        var revoke = new Command("revoke", "Revoke an API key: refused from the next request on, in every process. Revoking the last administrator's last key needs --yes.") { revokeId, reason, revokeYes };
        revoke.SetAction((parse, ct) => Send(parse, ct, "core.RevokeApiKey", _ => new RevokeApiKey(parse.GetValue(revokeId)!, parse.GetValue(reason)!), parse.GetValue(revokeYes) ? null : kernel => CliConfirm.LastAdministratorAsync(kernel, null, parse.GetValue(revokeId), ct)));
        yield return new Command("api-keys", "Bearer API keys: list, issue, revoke.") { keysList, issue, revoke };

        // admin recover
        var recoverActor = new Option<string>("--actor") { Description = "The admin to recover.", DefaultValueFactory = _ => "admin" };
        var recoverReason = new Option<string>("--reason") { Description = "Why (recorded in core.RecoveryPerformed).", Required = true };
        var keyOut = new Option<string?>("--key-out") { Description = "Where to write the new signing key (default: the actor's default key file)." };
        var recover = new Command("recover", "Break-glass: on the machine that holds the database file, give an admin a new signing key and API key (and a root capability if it holds none), enabled, and record that it happened.") { recoverActor, recoverReason, keyOut };
        recover.SetAction((parse, ct) => AdminCli.WithKernelAsync(error, async (kernel, _) =>
        {
            var who = parse.GetValue(recoverActor)!;
            var keyFile = parse.GetValue(keyOut) ?? ConsentCli.DefaultKeyFile(who);
            if (File.Exists(keyFile))
            {
                File.Move(keyFile, keyFile + ".replaced-" + kernel.Runtime.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), overwrite: false);
            }

            var keyId = ConsentCli.SaveNewKey(keyFile, out var publicKey);
            var result = await kernel.Admin.RecoverAsync(who, publicKey, parse.GetValue(recoverReason)!, ct);
            await output.WriteLineAsync($"Recovered '{who}' (recorded as core.RecoveryPerformed). New signing key {keyId} written to {Path.GetFullPath(keyFile)}.");
            if (result.CapabilityId is not null)
            {
                await output.WriteLineAsync($"It held no valid root capability: granted {result.CapabilityId}.");
            }

            await output.WriteLineAsync("New API key (shown once, stored only as a hash):");
            await output.WriteLineAsync(result.ApiKey);
            await output.WriteLineAsync("Revoke the lost keys now: keys list, keys rotate / api-keys revoke.");
            return 0;
        }));
        yield return new Command("admin", "Break-glass administration with bootstrap authority (run where the database file is).") { recover };

        Task<int> Send(ParseResult parse, CancellationToken ct, string type, Func<Ops.Core.Commands.CallerContext, object> payload, Func<OpsSession, Task<string?>>? confirm = null) =>
            AdminCli.WithKernelAsync(error, async (kernel, _) =>
            {
                if (confirm is not null && await confirm(kernel) is { } consequence)
                {
                    return await CliConfirm.RefuseAsync(error, consequence);
                }

                var caller = AdminCli.Caller(kernel, parse.GetValue(asOption));
                var outcome = await ConsentCli.SendAsync(kernel, caller, KeyFor(parse, caller), type, null, payload(caller), output, ct);
                return await AdminCli.ExitAsync(outcome, output, error);
            });
    }

    /// <summary><c>keys list</c> and <c>keys rotate</c>, added to the consent CLI's <c>keys</c> command.</summary>
    public static IEnumerable<Command> KeyCommands(Option<string?> asOption, Option<string?> keyOption, TextWriter output, TextWriter error)
    {
        var actorFilter = new Option<string?>("--actor") { Description = "Only this actor's keys." };
        var list = new Command("list", "List consent signing keys with their owners and status.") { actorFilter };
        list.SetAction((parse, ct) => AdminCli.WithKernelAsync(error, async (kernel, _) =>
        {
            foreach (var key in await CliLists.OrNoneAsync(output, await kernel.Admin.SignerKeysAsync(kernel.Runtime.Time.GetUtcNow(), ct), "no signing keys"))
            {
                if (parse.GetValue(actorFilter) is { } only && key.ActorId != only)
                {
                    continue;
                }

                await output.WriteLineAsync($"{key.KeyId}  actor={key.ActorId}  {(key.RevokedReason is null ? "active" : $"REVOKED ({key.RevokedReason})")}");
            }

            return 0;
        }));
        var keyId = new Argument<string>("key-id") { Description = "The signing key to replace." };
        var newOut = new Option<string?>("--out") { Description = "Where to write the new private key (default: replace the acting actor's key file; the old one is kept beside it as .rotated-<time>)." };
        var rotate = new Command("rotate", "Rotate a signing key: a new key is registered and the old one revoked in one commit, consented with the current key.") { keyId, newOut };
        rotate.SetAction((parse, ct) => AdminCli.WithKernelAsync(error, async (kernel, _) =>
        {
            var caller = AdminCli.Caller(kernel, parse.GetValue(asOption));
            var current = parse.GetValue(keyOption) ?? ConsentCli.DefaultKeyFile(caller.Actor.Id);
            var target = parse.GetValue(newOut) ?? current;
            var staged = target + ".new";
            var newKeyId = ConsentCli.SaveNewKey(staged, out var publicKey);
            var outcome = await ConsentCli.SendAsync(kernel, caller, current, "core.RotateSignerKey", null, new RotateSignerKey(parse.GetValue(keyId)!, publicKey), output, ct);
            if (!await AdminCli.ReportAsync(outcome, output, error))
            {
                File.Delete(staged);
                return 1;
            }

            if (File.Exists(target))
            {
                File.Move(target, target + ".rotated-" + kernel.Runtime.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
            }

            File.Move(staged, target);
            await output.WriteLineAsync($"Key {parse.GetValue(keyId)} revoked; new key {newKeyId} written to {Path.GetFullPath(target)}.");
            return 0;
        }));
        return [list, rotate];
    }
}
