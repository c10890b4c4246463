using System.CommandLine;
using System.Globalization;
using Ops.Core.Commands;
using Ops.Core.Consent;
using Ops.Core.Egress;
using Ops.Core.Hosting;

namespace Ops.Host.Cli;

/// <summary>
/// <c>egress list|show|approve|reject|hold|release|undo</c> and <c>egress switch list|engage|release</c> (issue 10 item 2),
/// through <see cref="EgressOperations"/> only. Approval signs the request's hash with the actor's key file, or names an
/// active policy. Exit codes: 0 done, 1 refused (nothing changed), 2 usage.
/// </summary>
internal static class EgressCli
{
    public static Command Command(Option<string?> asOption, Option<string?> keyOption, TextWriter output, TextWriter error, Func<TextWriter, Func<OpsSession, Task<int>>, Task<int>> withKernel, Func<OpsSession, string?, CallerContext> callerOf)
    {
        var egress = new Command("egress", "Egress requests: list, approve, reject, hold, release, undo; kill switches.");
        var id = new Argument<string>("request-id") { Description = "The request's id (64 hex), as 'egress list' shows it." };
        var reason = new Option<string>("--reason") { Description = "Why; recorded on the log.", Required = true };

        var status = new Option<string?>("--status") { Description = "pending, approved, dispatched, executed, failed, compensating, held, rejected or compensated." };
        var limit = CliValues.Number("--limit", "How many requests, 1 to 10,000.", 1, 10_000, 100);
        var list = new Command("list", "List the requests the acting actor may see (its tenant's, on destinations it operates or approves), oldest first.") { status, limit };
        list.SetAction((parse, ct) => withKernel(error, async kernel =>
        {
            foreach (var r in await CliLists.OrNoneAsync(output, await kernel.Egress.ListAsync(parse.GetValue(status), parse.GetValue(limit), callerOf(kernel, parse.GetValue(asOption)).Actor, ct), "no egress requests you may see"))
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{r.RequestId}  {r.Status,-11} {r.Destination,-12} {r.CommandType}  attempts={r.Attempts}  hash={r.RequestHash}"));
            }

            return 0;
        }));
        egress.Subcommands.Add(list);

        var show = new Command("show", "Show one request and its canonical request.") { id };
        show.SetAction((parse, ct) => withKernel(error, async kernel =>
        {
            if (await kernel.Egress.GetAsync(parse.GetValue(id)!, callerOf(kernel, parse.GetValue(asOption)).Actor, ct) is not { } r)
            {
                await error.WriteLineAsync($"ops: there is no egress request '{parse.GetValue(id)}' that you may see. Nothing was changed.");
                return 1;
            }

            await output.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(r, Ops.Core.Identity.OpsJson.Options));
            return 0;
        }));
        egress.Subcommands.Add(show);

        var policy = new Option<string?>("--policy") { Description = "Approve by this active policy (id) instead of signing." };
        var policyVersion = CliValues.Number("--policy-version", "The policy's version.", 1, int.MaxValue, 1);
        var approve = new Command("approve", "Approve a pending request: signs its request hash with your key file (or names an active policy).") { id, policy, policyVersion };
        approve.SetAction((parse, ct) => withKernel(error, async kernel =>
        {
            var caller = callerOf(kernel, parse.GetValue(asOption));
            var requestId = parse.GetValue(id)!;
            ConsentGrant consent;
            if (parse.GetValue(policy) is { } policyId)
            {
                consent = new ConsentGrant(ConsentKind.Policy, PolicyId: policyId, PolicyVersion: parse.GetValue(policyVersion));
            }
            else
            {
                var request = await kernel.Egress.GetAsync(requestId, caller.Actor, ct) ?? throw new Ops.Core.Errors.OpsException(Ops.Core.Errors.ReasonCodes.NotFound, $"There is no egress request '{requestId}'. Nothing was changed.");
                using var key = ConsentCli.LoadKey(parse.GetValue(keyOption) ?? ConsentCli.DefaultKeyFile(caller.Actor.Id));
                consent = EgressApproval.Sign(key, caller.Actor.Id, request.RequestId, request.RequestHash, kernel.Runtime.Time.GetUtcNow(), TimeSpan.FromMinutes(5));
            }

            var approved = await kernel.Egress.ApproveAsync(requestId, consent, caller.Actor, ct);
            await output.WriteLineAsync($"approved {approved.RequestId} (hash {approved.RequestHash}); the dispatcher sends it.");
            return 0;
        }));
        egress.Subcommands.Add(approve);

        egress.Subcommands.Add(Move("reject", "Reject a pending request; it never goes out.", id, reason, asOption, output, error, withKernel, callerOf, (ops, rid, why, actor, ct) => ops.RejectAsync(rid, why!, actor, ct)));
        egress.Subcommands.Add(Move("hold", "Hold a pending or approved request until released.", id, reason, asOption, output, error, withKernel, callerOf, (ops, rid, why, actor, ct) => ops.HoldAsync(rid, why!, actor, ct)));
        egress.Subcommands.Add(Move("release", "Release a held request to where it was.", id, reason, asOption, output, error, withKernel, callerOf, (ops, rid, why, actor, ct) => ops.ReleaseAsync(rid, why!, actor, ct)));
        egress.Subcommands.Add(Move("undo", "Undo an executed or failed request through the pack's compensation hook.", id, reason, asOption, output, error, withKernel, callerOf, (ops, rid, why, actor, ct) => ops.UndoAsync(rid, why!, actor, ct)));

        var scope = new Argument<string>("scope") { Description = "global, pack:<pack_id> or destination:<destination>." };
        var switches = new Command("switch", "Kill switches: hold every covered request, never drop it.");
        var switchList = new Command("list", "Engaged kill switches.");
        switchList.SetAction((parse, ct) => withKernel(error, async kernel =>
        {
            foreach (var s in await CliLists.OrNoneAsync(output, await kernel.Egress.SwitchesAsync(callerOf(kernel, parse.GetValue(asOption)).Actor, ct), "no kill switch is engaged"))
            {
                await output.WriteLineAsync($"{s.Scope}  since {Ops.Core.Identity.OpsJson.FormatInstant(s.EngagedAt)}  {s.Reason}");
            }

            return 0;
        }));
        var engage = new Command("engage", "Engage a kill switch.") { scope, reason };
        engage.SetAction((parse, ct) => withKernel(error, async kernel =>
        {
            var held = await kernel.Egress.EngageSwitchAsync(parse.GetValue(scope)!, parse.GetValue(reason)!, callerOf(kernel, parse.GetValue(asOption)).Actor, ct);
            await output.WriteLineAsync($"engaged {parse.GetValue(scope)}: {held} requests held.");
            return 0;
        }));
        var release = new Command("release", "Release a kill switch; requests it held go back.") { scope };
        release.SetAction((parse, ct) => withKernel(error, async kernel =>
        {
            var back = await kernel.Egress.ReleaseSwitchAsync(parse.GetValue(scope)!, callerOf(kernel, parse.GetValue(asOption)).Actor, ct);
            await output.WriteLineAsync($"released {parse.GetValue(scope)}: {back} requests back.");
            return 0;
        }));
        switches.Subcommands.Add(switchList);
        switches.Subcommands.Add(engage);
        switches.Subcommands.Add(release);
        egress.Subcommands.Add(switches);
        return egress;
    }

    private static Command Move(string name, string description, Argument<string> id, Option<string>? reason, Option<string?> asOption, TextWriter output, TextWriter error, Func<TextWriter, Func<OpsSession, Task<int>>, Task<int>> withKernel, Func<OpsSession, string?, CallerContext> callerOf, Func<EgressOperations, string, string?, Ops.Core.Envelopes.ActorRef, CancellationToken, Task<EgressRequestView>> move)
    {
        var command = new Command(name, description) { id };
        if (reason is not null)
        {
            command.Options.Add(reason);
        }

        command.SetAction((parse, ct) => withKernel(error, async kernel =>
        {
            var moved = await move(kernel.Egress, parse.GetValue(id)!, reason is null ? null : parse.GetValue(reason), callerOf(kernel, parse.GetValue(asOption)).Actor, ct);
            await output.WriteLineAsync($"{moved.RequestId}: {moved.Status}");
            return 0;
        }));
        return command;
    }
}
