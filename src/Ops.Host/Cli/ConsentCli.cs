using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Ops.Core.Commands;
using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Core.Storage;
using Ops.Host.Packs;

namespace Ops.Host.Cli;

/// <summary>
/// The consent flow by hand (seed 000): <c>keys new|register|revoke</c>, <c>propose</c>, <c>sign</c>, <c>commit</c>,
/// <c>policies create|activate|deprecate</c>, <c>audit list|export</c>. Private keys stay in local PEM files
/// (PKCS#8, created mode 0600; by default in the per-user configuration folder); the kernel only ever sees public keys and signatures.
/// </summary>
internal static class ConsentCli
{
    /// <summary>The acting actor's key file when --key is not given: in the per-user configuration folder, outside the worker's working folder.</summary>
    public static string DefaultKeyFile(string actorId) => ConsentSigning.DefaultKeyFile(actorId);

    public static ECDsa LoadKey(string path)
    {
        if (!File.Exists(path))
        {
            throw new Ops.Core.Errors.OpsException(Ops.Core.Errors.ReasonCodes.NotFound, $"Signing key file {path} does not exist: create one with 'keys new --out {path}' and register it, or pass --key <file> (init writes the admin's key to {DefaultKeyFile("admin")}). Nothing was changed.");
        }

        var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(path));
        return key;
    }

    /// <summary>Creates a P-256 key in a new file, mode 0600 from the first byte (issue 7 item 7); refuses to overwrite.</summary>
    public static string SaveNewKey(string path, out string publicKey)
    {
        if (File.Exists(path))
        {
            throw new Ops.Core.Errors.OpsException(Ops.Core.Errors.ReasonCodes.BadRequest, $"{path} already exists; refusing to overwrite a signing key. Nothing was changed.");
        }

        try
        {
            var created = ConsentSigning.CreateKeyFile(path);
            publicKey = created.PublicKey;
            return created.KeyId;
        }
        catch (IOException ex) when (File.Exists(path))
        {
            throw new Ops.Core.Errors.OpsException(Ops.Core.Errors.ReasonCodes.BadRequest, $"{path} already exists; refusing to overwrite a signing key. Nothing was changed.", ex);
        }
    }

    /// <summary>Key id and public key of an existing key file.</summary>
    public static string ReadPublicKey(string path, out string publicKey)
    {
        using var key = LoadKey(path);
        var spki = key.ExportSubjectPublicKeyInfo();
        publicKey = Convert.ToBase64String(spki);
        return ConsentSigning.KeyId(spki);
    }

    /// <summary>Proposes, shows the preview, signs with the key file and commits: the whole flow for one unambiguous command.</summary>
    public static async Task<CommandOutcome> SendAsync(OpsSession kernel, CallerContext caller, string keyFile, string type, string? target, object payload, TextWriter output, CancellationToken ct, string? idempotencyKey = null)
    {
        var envelope = new CommandEnvelope { CommandType = type, TargetRef = target, Payload = JsonSerializer.SerializeToElement(payload, payload.GetType(), OpsJson.Options), IdempotencyKey = idempotencyKey };
        var proposed = await kernel.Gateway.ProposeAsync(envelope, caller, ct);
        if (proposed.Rejection is { } rejected)
        {
            return rejected;
        }

        var proposal = proposed.Proposal!;
        if (proposal.Interpretations.Count != 1)
        {
            throw new Ops.Core.Errors.OpsException(Ops.Core.Errors.ReasonCodes.Ambiguous, $"{type} on '{proposal.Command.TargetRef}' has {proposal.Interpretations.Count} interpretations; use propose, sign --interpretation and commit. Nothing was changed.");
        }

        var interpretation = proposal.Interpretations[0];
        await PrintPreviewAsync(proposal, output);
        using var key = LoadKey(keyFile);
        var consent = ConsentSigning.Sign(key, caller.Actor.Id, interpretation, kernel.Runtime.Time.GetUtcNow(), TimeSpan.FromMinutes(10));
        var result = await kernel.Gateway.CommitAsync(new CommitRequest(proposal.Command, proposal.ProposedAt, interpretation.InterpretationId, interpretation.PreviewHash, consent), caller, ct);
        return result.Outcome;
    }

    public static async Task PrintPreviewAsync(Proposal proposal, TextWriter output)
    {
        await output.WriteLineAsync($"Proposal {proposal.ProposalId[..16]} for {proposal.Command.CommandType} on '{proposal.Command.TargetRef}' (expires {OpsJson.FormatInstant(proposal.ExpiresAt)}):");
        for (var i = 0; i < proposal.Interpretations.Count; i++)
        {
            var p = proposal.Interpretations[i];
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  [{i + 1}] {p.Label}  (confidence {p.Confidence:0.00}, {p.ActionType}, {p.Reversibility}, interpretation {p.InterpretationId})"));
            await output.WriteLineAsync($"      stream {p.Scope.StreamId}; preview hash {p.PreviewHash}");
            foreach (var change in p.Preview)
            {
                await output.WriteLineAsync($"      {(change.Path.Length == 0 ? "/" : change.Path)}: {change.Before.GetRawText()} -> {change.After.GetRawText()}");
            }
        }
    }

    public static IEnumerable<Command> Commands(Option<string?> asOption, Option<string?> keyOption, TextWriter output, TextWriter error, Func<TextWriter, PackCode, Func<OpsSession, Task<int>>, Task<int>> withKernel, Func<OpsSession, string?, CallerContext> callerOf)
    {
        string KeyFor(ParseResult parse, CallerContext caller) => parse.GetValue(keyOption) ?? DefaultKeyFile(caller.Actor.Id);

        // keys
        var outFile = new Option<string>("--out") { Description = "Where to write the new private key (PEM, created mode 0600; never overwritten).", Required = true };
        var keysNew = new Command("new", "Create an ECDSA P-256 signing key in a local file and print its key id and public key.") { outFile };
        keysNew.SetAction(parse =>
        {
            try
            {
                var keyId = SaveNewKey(parse.GetValue(outFile)!, out var publicKey);
                output.WriteLine($"key_id: {keyId}");
                output.WriteLine($"public_key: {publicKey}");
                output.WriteLine("Register it with: keys register <actor-id> --public-key <public_key>");
                return 0;
            }
            catch (Ops.Core.Errors.OpsException ex)
            {
                error.WriteLine(CliErrors.MessageOf(ex));
                return CliErrors.ExitCodeOf(ex);
            }
        });
        var owner = new Argument<string>("actor-id") { Description = "Whose key it is." };
        var publicKeyOption = new Option<string>("--public-key") { Description = "Base64 SubjectPublicKeyInfo, as 'keys new' prints it.", Required = true };
        var keysRegister = new Command("register", "Register an actor's public signing key (consented by the acting actor).") { owner, publicKeyOption };
        keysRegister.SetAction((parse, ct) => withKernel(error, PackCode.CheckOnly, async kernel =>
        {
            var caller = callerOf(kernel, parse.GetValue(asOption));
            var outcome = await SendAsync(kernel, caller, KeyFor(parse, caller), "core.RegisterSignerKey", null, new RegisterSignerKey(parse.GetValue(owner)!, parse.GetValue(publicKeyOption)!), output, ct);
            return await AdminCli.ExitAsync(outcome, output, error);
        }));
        var keyIdArgument = new Argument<string>("key-id");
        var reason = new Option<string>("--reason") { Description = "Why (recorded).", DefaultValueFactory = _ => "revoked by operator" };
        var keysRevoke = new Command("revoke", "Revoke a signing key; its signatures are refused from now on.") { keyIdArgument, reason };
        keysRevoke.SetAction((parse, ct) => withKernel(error, PackCode.CheckOnly, async kernel =>
        {
            var caller = callerOf(kernel, parse.GetValue(asOption));
            var id = parse.GetValue(keyIdArgument)!;
            var outcome = await SendAsync(kernel, caller, KeyFor(parse, caller), "core.RevokeSignerKey", null, new RevokeSignerKey(id, parse.GetValue(reason)!), output, ct);
            return await AdminCli.ExitAsync(outcome, output, error);
        }));
        yield return new Command("keys", "Consent signing keys (ECDSA P-256).") { keysNew, keysRegister, keysRevoke };

        // propose
        var type = new Option<string>("--type") { Description = "Command type, e.g. pack.notes.notes.UpdateNote.", Required = true };
        var target = new Option<string>("--target") { Description = "target_ref, e.g. note-<id> or note-title:Plan.", Required = true };
        var payloadOption = new Option<string>("--payload") { Description = "Payload JSON, or @file.json.", DefaultValueFactory = _ => "{}" };
        var idempotency = new Option<string?>("--idempotency-key") { Description = "Your own idempotency key (default: derived from the content)." };
        var proposalOut = new Option<string>("--out") { Description = "Where to save the proposal for sign and commit.", DefaultValueFactory = _ => "proposal.json" };
        var propose = new Command("propose", "Propose a command: print its preview (every interpretation, none chosen) and save the proposal. Writes nothing to the log.") { type, target, payloadOption, idempotency, proposalOut };
        // propose and commit decide any command type, a pack's included: they load pack code (issue 16 item 3).
        propose.SetAction((parse, ct) => withKernel(error, PackCode.Load, async kernel =>
        {
            var raw = parse.GetValue(payloadOption)!;
            var json = raw.StartsWith('@') ? await File.ReadAllTextAsync(raw[1..], ct) : raw;
            using var payload = JsonDocument.Parse(json);
            var envelope = new CommandEnvelope { CommandType = parse.GetValue(type)!, TargetRef = parse.GetValue(target)!, Payload = payload.RootElement.Clone(), IdempotencyKey = parse.GetValue(idempotency) };
            var result = await kernel.Gateway.ProposeAsync(envelope, callerOf(kernel, parse.GetValue(asOption)), ct);
            if (result.Proposal is null)
            {
                return await AdminCli.ExitAsync(result.Rejection!, output, error);
            }

            await PrintPreviewAsync(result.Proposal, output);
            await File.WriteAllBytesAsync(parse.GetValue(proposalOut)!, JsonSerializer.SerializeToUtf8Bytes(result.Proposal, OpsJson.Options), ct);
            await output.WriteLineAsync($"Saved to {parse.GetValue(proposalOut)}. Next: sign {parse.GetValue(proposalOut)} --interpretation <n>, then commit.");
            return 0;
        }));
        yield return propose;

        // sign (offline: needs no database)
        var proposalFile = new Argument<string>("proposal-file") { Description = "A proposal saved by propose." };
        var interpretationOption = CliValues.OptionalNumber("--interpretation", "Which interpretation (1-based, as propose lists them); required when the proposal has more than one.", 1, int.MaxValue);
        var signer = new Option<string>("--signer") { Description = "Your actor id.", DefaultValueFactory = _ => "admin" };
        var lifetime = CliValues.Number("--expires-in-minutes", "Signature lifetime, 1 to 60 minutes.", 1, 60, 10);
        var consentOut = new Option<string>("--out") { Description = "Where to save the consent.", DefaultValueFactory = _ => "consent.json" };
        var sign = new Command("sign", "Sign one interpretation of a proposal with a local key file (single use, expiring). Reads no database.") { proposalFile, interpretationOption, signer, lifetime, consentOut };
        sign.SetAction(async (parse, ct) =>
        {
            try
            {
                var proposal = JsonSerializer.Deserialize<Proposal>(await File.ReadAllBytesAsync(parse.GetValue(proposalFile)!, ct), OpsJson.Options)!;
                // Never guess for the signer (seed 000 §2.2): an ambiguous proposal needs an explicit choice.
                var index = parse.GetValue(interpretationOption) ?? (proposal.Interpretations.Count == 1 ? 1 : throw new Ops.Core.Errors.OpsException(Ops.Core.Errors.ReasonCodes.Ambiguous, $"The proposal has {proposal.Interpretations.Count} interpretations; choose one with --interpretation 1..{proposal.Interpretations.Count} (propose lists them). Nothing was signed."));
                if (index < 1 || index > proposal.Interpretations.Count)
                {
                    throw new Ops.Core.Errors.OpsException(Ops.Core.Errors.ReasonCodes.BadRequest, $"--interpretation must be 1 to {proposal.Interpretations.Count}.");
                }

                var minutes = parse.GetValue(lifetime);
                var who = parse.GetValue(signer)!;
                using var key = LoadKey(parse.GetValue(keyOption) ?? DefaultKeyFile(who));
                var consent = ConsentSigning.Sign(key, who, proposal.Interpretations[index - 1], TimeProvider.System.GetUtcNow(), TimeSpan.FromMinutes(minutes));
                var file = new SignedConsent(proposal.Interpretations[index - 1].InterpretationId, proposal.Interpretations[index - 1].PreviewHash, consent);
                await File.WriteAllBytesAsync(parse.GetValue(consentOut)!, JsonSerializer.SerializeToUtf8Bytes(file, OpsJson.Options), ct);
                await output.WriteLineAsync($"Signed interpretation [{index}] {proposal.Interpretations[index - 1].Label} as {who} (key {consent.KeyId}), valid until {OpsJson.FormatInstant(consent.ExpiresAt!.Value)}. Saved to {parse.GetValue(consentOut)}.");
                return 0;
            }
            catch (Exception ex) when (ex is Ops.Core.Errors.OpsException or IOException or JsonException or CryptographicException or ArgumentException)
            {
                return await CliErrors.ReportAsync(error, ex, "Nothing was signed.");
            }
        });
        yield return sign;

        // commit
        var commitProposal = new Argument<string>("proposal-file");
        var consentFile = new Option<string>("--consent") { Description = "The consent saved by sign.", DefaultValueFactory = _ => "consent.json" };
        var commit = new Command("commit", "Commit a signed proposal: decided again against current state; if the preview would differ, nothing is written.") { commitProposal, consentFile };
        commit.SetAction((parse, ct) => withKernel(error, PackCode.Load, async kernel =>
        {
            var proposal = JsonSerializer.Deserialize<Proposal>(await File.ReadAllBytesAsync(parse.GetValue(commitProposal)!, ct), OpsJson.Options)!;
            var signed = JsonSerializer.Deserialize<SignedConsent>(await File.ReadAllBytesAsync(parse.GetValue(consentFile)!, ct), OpsJson.Options)!;
            var result = await kernel.Gateway.CommitAsync(new CommitRequest(proposal.Command, proposal.ProposedAt, signed.InterpretationId, signed.PreviewHash, signed.Consent), callerOf(kernel, parse.GetValue(asOption)), ct);
            if (result.Outcome.Replayed)
            {
                var first = result.Outcome;
                await output.WriteLineAsync($"{first.CommandType}: already decided: this is a replay of command {first.CommandId[..12]}. Its first outcome stands: {(first.IsAccepted ? $"accepted at {OpsJson.FormatInstant(first.DecidedAt)}, position {first.Position}" : $"rejected ({first.ReasonCode}): {first.Reason}")}. Nothing was appended. To do it again on purpose, propose it again with another --idempotency-key.");
                return first.IsAccepted ? 0 : 1;
            }

            if (!await AdminCli.ReportAsync(result.Outcome, output, error))
            {
                return 1;
            }

            await output.WriteLineAsync($"Audit record {result.AuditEventId}. Final state: {(result.FinalState is { } state ? state.GetRawText() : "(removed)")}");
            return 0;
        }));
        yield return commit;

        // policies
        var policyName = new Argument<string>("name");
        var types = new Option<string[]>("--types") { Description = "Command type patterns it approves (never core.*).", Required = true, AllowMultipleArgumentsPerToken = true };
        var targets = new Option<string[]>("--targets") { Description = "target_ref patterns.", DefaultValueFactory = _ => ["*"], AllowMultipleArgumentsPerToken = true };
        var actors = new Option<string[]>("--actors") { Description = "Actor id patterns.", Required = true, AllowMultipleArgumentsPerToken = true };
        var create = new Command("create", "Create a draft policy version (consented by your signature).") { policyName, types, targets, actors };
        create.SetAction((parse, ct) => withKernel(error, PackCode.CheckOnly, async kernel =>
        {
            var caller = callerOf(kernel, parse.GetValue(asOption));
            var name = parse.GetValue(policyName)!;
            var outcome = await SendAsync(kernel, caller, KeyFor(parse, caller), "core.CreatePolicy", null, new CreatePolicy(name, new PolicyScope(parse.GetValue(types)!, parse.GetValue(targets)!, parse.GetValue(actors)!)), output, ct, Guid.NewGuid().ToString("N"));
            if (!await AdminCli.ReportAsync(outcome, output, error))
            {
                return 1;
            }

            var created = (await kernel.Log.ReadAsync(outcome.Position!.Value - 1, 1, ct))[0].Envelope.PayloadAs<PolicyCreated>();
            await output.WriteLineAsync($"policy_id: {created.PolicyId}  version: {created.Version}  (draft; activate it with: policies activate {name} --version {created.Version})");
            return 0;
        }));
        var versionOption = CliValues.Number("--version", "Policy version, from 1.", 1, int.MaxValue);
        versionOption.Required = true;
        Command Transition(string verb, string commandType, Func<string, int, object> payload, string description)
        {
            var name = new Argument<string>("name");
            var command = new Command(verb, description) { name, versionOption };
            command.SetAction((parse, ct) => withKernel(error, PackCode.CheckOnly, async kernel =>
            {
                var caller = callerOf(kernel, parse.GetValue(asOption));
                var tenant = (await kernel.Admin.ActorsAsync(kernel.Runtime.Time.GetUtcNow(), ct)).Single(a => a.ActorId == caller.Actor.Id).TenantId;
                var policyId = DeterministicIds.Derive("policy", tenant, parse.GetValue(name)!);
                var outcome = await SendAsync(kernel, caller, KeyFor(parse, caller), commandType, null, payload(policyId, parse.GetValue(versionOption)), output, ct);
                return await AdminCli.ExitAsync(outcome, output, error);
            }));
            return command;
        }

        var policyList = new Command("list", "List consent policies: name, version, status, scope (address them by name and --version).");
        policyList.SetAction((parse, ct) => withKernel(error, PackCode.CheckOnly, async kernel =>
        {
            foreach (var version in await CliLists.OrNoneAsync(output, await kernel.Admin.PoliciesAsync(kernel.Runtime.Time.GetUtcNow(), ct), "no consent policies"))
            {
                await output.WriteLineAsync($"{version.Name,-20} v{version.Version,-3} {version.Status,-10} types={string.Join(",", version.Scope.CommandTypes)} targets={string.Join(",", version.Scope.Targets)} actors={string.Join(",", version.Scope.Actors)}  id={version.PolicyId[..12]}");
            }

            return 0;
        }));
        yield return new Command("policies", "Consent policies: draft, active, deprecated (each change consented by a signature).")
        {
            policyList,
            create,
            Transition("activate", "core.ActivatePolicy", (id, v) => new ActivatePolicy(id, v), "Activate a draft version; commands it covers may then commit with policy consent."),
            Transition("deprecate", "core.DeprecatePolicy", (id, v) => new DeprecatePolicy(id, v), "Deprecate an active version."),
        };

        // audit
        var actorFilter = new Option<string?>("--actor");
        var targetFilter = new Option<string?>("--target");
        var from = CliValues.Instant("--from", "Inclusive, ISO 8601 UTC.");
        var to = CliValues.Instant("--to", "Exclusive, ISO 8601 UTC.");
        var list = new Command("list", "List audit records: who, what, where, when, the signed delta, capability and consent.") { actorFilter, targetFilter, from, to };
        list.SetAction((parse, ct) => withKernel(error, PackCode.CheckOnly, async kernel =>
        {
            foreach (var r in await CliLists.OrNoneAsync(output, await kernel.Admin.AuditAsync(parse.GetValue(actorFilter), parse.GetValue(targetFilter), parse.GetValue(from), parse.GetValue(to), ct), "no audit records match"))
            {
                var m = r.Record;
                var consent = m.ConsentKind == ConsentKind.Signature ? $"signed by {m.Signer} (key {m.KeyId})" : $"policy {m.PolicyId?[..12]} v{m.PolicyVersion}";
                await output.WriteLineAsync($"{r.Position,8}  {OpsJson.FormatInstant(m.CommittedAt)}  {m.Actor.Id,-12} {m.Action} on {m.TargetRef}  {consent}  capability {m.CapabilityId[..12]}  {m.Delta.Count} change(s)");
            }

            return 0;
        }));
        var exportOut = new Option<string?>("--out") { Description = "File to write (default: standard output)." };
        var export = new Command("export", "Export the log as JSON Lines carrying the hash chain, sealed by a signed checkpoint (the format of 'log export'); verify it offline with 'log verify --file'.") { exportOut };
        export.SetAction((parse, ct) => withKernel(error, PackCode.CheckOnly, kernel => LogCli.ExportAsync(kernel, parse.GetValue(exportOut), 1, output, error, ct)));
        yield return new Command("audit", "Audit records of committed mutations (append-only; nothing edits or deletes them).") { list, export };
    }
}

/// <summary>What 'sign' saves: the chosen interpretation, its preview hash and the consent.</summary>
internal sealed record SignedConsent(string InterpretationId, string PreviewHash, ConsentGrant Consent);
