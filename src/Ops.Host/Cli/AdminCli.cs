using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ops.Core.Capabilities;
using Ops.Core.Commands;
using Ops.Core.Envelopes;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Host.Edge;
using Ops.Host.Packs;

namespace Ops.Host.Cli;

/// <summary>
/// The admin CLI (System.CommandLine). It opens the same database as the worker, in-process, and
/// acts through the same gateway as the actor given by --as (default: the admin created by init).
/// Exit codes: 0 done, 1 refused or failed (nothing changed), 2 usage error.
/// </summary>
internal static class AdminCli
{
    /// <summary>Parses and runs one command line; returns its exit code (0 done, 1 refused or failed, 2 usage).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var parsed = Parse(Build(output, error), args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var parseError in parsed.Errors)
            {
                await error.WriteLineAsync("ops: " + parseError.Message);
            }

            foreach (var suggestion in Suggestions(parsed))
            {
                await error.WriteLineAsync("ops: " + suggestion);
            }

            await error.WriteLineAsync("Nothing was done. See --help.");
            return Edge.EdgeReasons.Usage;
        }

        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
    }

    /// <summary>Parses <paramref name="args"/> against <paramref name="root"/> without running anything.</summary>
    internal static ParseResult Parse(RootCommand root, string[] args) =>
        // No response files: '@file.json' is a payload argument here, never a file of more arguments.
        root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });

    /// <summary>The whole verb tree; building it runs nothing.</summary>
    internal static RootCommand Build(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("AlignTrue Ops worker and admin CLI. With no arguments, or with 'run' (which takes ASP.NET Core's options, such as 'run --urls http://127.0.0.1:5081'), starts the worker on http://127.0.0.1:5080.");
        var asOption = new Option<string?>("--as") { Description = "Actor to act as (default: the admin created by init).", Recursive = true };
        var keyOption = new Option<string?>("--key") { Description = $"Your signing key file for consent (default: {ConsentCli.DefaultKeyFile("<actor>")}).", Recursive = true };
        root.Options.Add(asOption);
        root.Options.Add(keyOption);

        var run = new Command("run", "Start the worker (HTTP API on 127.0.0.1:5080; change with --urls). Same as no arguments at all.");
        root.Subcommands.Add(run);
        run.TreatUnmatchedTokensAsErrors = false;
        run.SetAction((parse, _) => Worker.RunAsync([.. parse.UnmatchedTokens]));

        root.Subcommands.Add(Init(output, error));
        var status = new Command("status", "Describe the worker's database, mode, routes, packs and whether init has run, without starting it.");
        status.SetAction((parse, ct) => WithKernelAsync(error, async (kernel, loader) =>
        {
            await output.WriteLineAsync(await HostStatus.DescribeAsync(kernel, ct));
            return 0;
        }));
        root.Subcommands.Add(status);
        var actors = Actors(asOption, keyOption, output, error);
        foreach (var command in IdentityCli.ActorCommands(asOption, keyOption, output, error))
        {
            actors.Subcommands.Add(command);
        }

        root.Subcommands.Add(actors);
        foreach (var command in IdentityCli.Commands(asOption, keyOption, output, error))
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(Capabilities(asOption, keyOption, output, error));
        root.Subcommands.Add(Tenants(asOption, keyOption, output, error));
        // Which verbs load pack code (issue 16 item 3): only those that may run a pack's handler, projection, connector or
        // egress hook, or must know what a pack registers. The log, packs, keys and every other admin verb load none.
        root.Subcommands.Add(LogCli.Create(output, error, (e, action) => WithKernelAsync(e, (kernel, _) => action(kernel))));
        root.Subcommands.Add(PacksCli.Command(asOption, keyOption, output, error, WithKernelAsync));
        root.Subcommands.Add(Database(output, error));
        root.Subcommands.Add(ConnectorCli.Command(asOption, output, error, (e, actor, action) => WithKernelAsync(e, (kernel, _) => action(kernel.Connectors, Caller(kernel, actor)), PackCode.Load)));
        root.Subcommands.Add(ProjectionsCli.Command(output, error, (e, action) => WithKernelAsync(e, (kernel, _) => action(kernel), PackCode.Load)));
        root.Subcommands.Add(EgressCli.Command(asOption, keyOption, output, error, (e, action) => WithKernelAsync(e, (kernel, _) => action(kernel), PackCode.Load), Caller));
        foreach (var command in ConsentCli.Commands(asOption, keyOption, output, error, (e, packCode, action) => WithKernelAsync(e, (kernel, _) => action(kernel), packCode), Caller))
        {
            if (command.Name == "keys")
            {
                foreach (var sub in IdentityCli.KeyCommands(asOption, keyOption, output, error))
                {
                    command.Subcommands.Add(sub);
                }
            }

            root.Subcommands.Add(command);
        }

        return root;
    }

    /// <summary>"Did you mean" for each unmatched token: the closest verb or option of the command it was given to.</summary>
    private static IEnumerable<string> Suggestions(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        var candidates = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name)
            .Concat(command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)))
            .Where(c => c.Length > 2)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        // Unmatched tokens, and argument tokens the parser took for a missing subcommand's place ('log tial').
        var tokens = parsed.UnmatchedTokens.Concat(parsed.Tokens.Where(t => t.Type == System.CommandLine.Parsing.TokenType.Argument).Select(t => t.Value))
            .Where(t => !candidates.Contains(t, StringComparer.Ordinal))
            .Distinct(StringComparer.Ordinal);
        foreach (var token in tokens)
        {
            var best = candidates
                .Select(c => (Candidate: c, Distance: Distance(token, c)))
                .Where(c => c.Distance <= Math.Max(1, token.Length / 3))
                .OrderBy(c => c.Distance)
                .ThenBy(c => c.Candidate, StringComparer.Ordinal)
                .FirstOrDefault();
            if (best.Candidate is not null)
            {
                yield return $"'{token}' is not a command or option of '{command.Name}'. Did you mean '{best.Candidate}'?";
            }
        }
    }

    /// <summary>Edit distance with adjacent transpositions (optimal string alignment), for suggestions: 'tial' is 1 from 'tail'.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    private static Command Init(TextWriter output, TextWriter error)
    {
        var admin = new Option<string>("--admin") { Description = "Id of the first admin actor.", DefaultValueFactory = _ => "admin" };
        var tenant = new Option<string>("--tenant") { Description = "Tenant of the admin.", DefaultValueFactory = _ => "default" };
        var keyOut = new Option<string?>("--key-out") { Description = $"Where to write the admin's consent signing key (default: {ConsentCli.DefaultKeyFile("<admin>")}, outside the working folder; an existing key there is reused)." };
        var command = new Command("init", "Create and migrate the database, register the first admin actor with the root capability and a consent signing key, and print its API key once.") { admin, tenant, keyOut };
        command.SetAction((parse, ct) => WithKernelAsync(error, async (kernel, _) =>
        {
            var existing = await kernel.Admin.ActorsAsync(kernel.Runtime.Time.GetUtcNow(), ct);
            if (existing.Count > 0)
            {
                throw new Ops.Core.Errors.OpsException(Ops.Core.Errors.ReasonCodes.AlreadyInitialized, $"This database is already initialized (actors: {string.Join(", ", existing.Select(a => a.ActorId))}). Nothing was changed; use 'actors add' for more actors.");
            }

            var explicitFile = parse.GetValue(keyOut);
            var keyFile = explicitFile ?? ConsentCli.DefaultKeyFile(parse.GetValue(admin)!);
            // The default file is the person's own key in their 0700 folder: a second database reuses it.
            var reused = explicitFile is null && File.Exists(keyFile);
            string publicKey;
            var keyId = reused ? ConsentCli.ReadPublicKey(keyFile, out publicKey) : ConsentCli.SaveNewKey(keyFile, out publicKey);
            OpsInitialized result;
            try
            {
                result = await kernel.Runtime.InitializeAsync(parse.GetValue(admin)!, parse.GetValue(tenant)!, publicKey, ct);
            }
            catch
            {
                if (!reused)
                {
                    File.Delete(keyFile);
                }

                throw;
            }

            await output.WriteLineAsync($"Initialized. Admin actor '{result.ActorId}' (tenant '{result.TenantId}') holds the root capability {result.CapabilityId}.");
            await output.WriteLineAsync(reused
                ? $"Consent signing key {keyId} reused from {Path.GetFullPath(keyFile)} (it existed already; keep it private, it signs every change you consent to)."
                : $"Consent signing key {keyId} written to {Path.GetFullPath(keyFile)}, mode 0600 (keep it private; it signs every change you consent to).");
            await output.WriteLineAsync("API key (shown once, stored only as a hash):");
            await output.WriteLineAsync(result.ApiKey);
            // After the key is shown: the packs shipped beside the executable, each verified and consented by the new admin.
            await PacksCli.InstallBundledAsync(kernel, Caller(kernel, result.ActorId), keyFile, output, error, ct);
            return 0;
        }, PackCode.CheckOnly, mayCreate: true));
        return command;
    }

    private static Command Actors(Option<string?> asOption, Option<string?> keyOption, TextWriter output, TextWriter error)
    {
        var id = new Argument<string>("actor-id") { Description = "New actor id, [a-z0-9][a-z0-9._-]*." };
        var kind = CliValues.Choice("--kind", "human, service or agent.", ActorKind.Human);
        var name = new Option<string?>("--name") { Description = "Display name." };
        var tenant = new Option<string?>("--tenant") { Description = "Tenant (default: the acting actor's)." };
        var add = new Command("add", "Register an actor and print a new API key for it (shown once).") { id, kind, name, tenant };
        add.SetAction((parse, ct) => WithKernelAsync(error, async (kernel, _) =>
        {
            var caller = Caller(kernel, parse.GetValue(asOption));
            var actorId = parse.GetValue(id)!;
            var registered = await ConsentCli.SendAsync(kernel, caller, parse.GetValue(keyOption) ?? ConsentCli.DefaultKeyFile(caller.Actor.Id), "core.RegisterActor", null, new RegisterActor(actorId, parse.GetValue(kind), parse.GetValue(name) ?? actorId, parse.GetValue(tenant)), output, ct);
            if (!await ReportAsync(registered, output, error))
            {
                return 1;
            }

            var key = OpsAdministration.NewApiKey();
            var issued = await ConsentCli.SendAsync(kernel, caller, parse.GetValue(keyOption) ?? ConsentCli.DefaultKeyFile(caller.Actor.Id), "core.IssueApiKey", null, new IssueApiKey(key.KeyId, actorId, key.SecretSha256), output, ct);
            if (!await ReportAsync(issued, output, error))
            {
                return 1;
            }

            await output.WriteLineAsync($"API key for '{actorId}' (shown once, stored only as a hash):");
            await output.WriteLineAsync(key.Token);
            return 0;
        }));
        return new Command("actors", "Manage actors (humans, services, agents): add, list, disable, enable.") { add };
    }

    /// <summary>
    /// <c>tenants add &lt;tenant-id&gt; --admin &lt;actor-id&gt;</c>: a tenant administrator, three consented core commands
    /// (register in the tenant, grant <see cref="CapabilityScope.TenantAdmin"/>: everything inside the tenant and nothing
    /// outside it, issue an API key). Needs a capability that reaches into that tenant (the root admin's does).
    /// </summary>
    private static Command Tenants(Option<string?> asOption, Option<string?> keyOption, TextWriter output, TextWriter error)
    {
        var tenantId = new Argument<string>("tenant-id") { Description = "The tenant, [a-z0-9][a-z0-9._-]*." };
        var adminId = new Option<string>("--admin") { Description = "Id of the tenant's administrator actor to register.", Required = true };
        var add = new Command("add", "Create a tenant administrator: it can do everything inside its tenant and nothing outside it; prints its API key once.") { tenantId, adminId };
        add.SetAction((parse, ct) => WithKernelAsync(error, async (kernel, _) =>
        {
            var caller = Caller(kernel, parse.GetValue(asOption));
            var keyFile = parse.GetValue(keyOption) ?? ConsentCli.DefaultKeyFile(caller.Actor.Id);
            var actorId = parse.GetValue(adminId)!;
            var tenant = parse.GetValue(tenantId)!;
            var registered = await ConsentCli.SendAsync(kernel, caller, keyFile, "core.RegisterActor", null, new RegisterActor(actorId, ActorKind.Human, actorId, tenant), output, ct);
            if (!await ReportAsync(registered, output, error))
            {
                return 1;
            }

            var granted = await ConsentCli.SendAsync(kernel, caller, keyFile, "core.GrantCapability", null, new GrantCapability(actorId, CapabilityScope.TenantAdmin), output, ct);
            if (!await ReportAsync(granted, output, error))
            {
                return 1;
            }

            var key = OpsAdministration.NewApiKey();
            var issued = await ConsentCli.SendAsync(kernel, caller, keyFile, "core.IssueApiKey", null, new IssueApiKey(key.KeyId, actorId, key.SecretSha256), output, ct);
            if (!await ReportAsync(issued, output, error))
            {
                return 1;
            }

            await output.WriteLineAsync($"Tenant '{tenant}' has administrator '{actorId}': everything inside the tenant, nothing outside it.");
            await output.WriteLineAsync($"API key for '{actorId}' (shown once, stored only as a hash):");
            await output.WriteLineAsync(key.Token);
            return 0;
        }));
        return new Command("tenants", "Tenants: add a tenant administrator.") { add };
    }

    private static Command Capabilities(Option<string?> asOption, Option<string?> keyOption, TextWriter output, TextWriter error)
    {
        var holder = new Argument<string>("actor-id") { Description = "Who receives the capability." };
        var types = new Option<string[]>("--types") { Description = "Command/query type patterns, e.g. pack.notes.* (exact, prefix*, or *).", Required = true, AllowMultipleArgumentsPerToken = true };
        var targets = new Option<string[]>("--targets") { Description = "target_ref patterns.", DefaultValueFactory = _ => ["*"], AllowMultipleArgumentsPerToken = true };
        var safety = CliValues.Choices<SafetyClass>("--safety", "Safety classes: Read, WriteInternal, WriteExternalSideEffect.", [SafetyClass.Read]);
        var expires = CliValues.Instant("--expires", "Expiry, ISO 8601 UTC (e.g. 2026-12-31T00:00:00Z).");
        var parent = new Option<string?>("--parent") { Description = "Delegate from this capability (the acting actor must hold it); scope and bounds may only narrow." };
        var grant = new Command("grant", "Grant (or, with --parent, delegate) a capability.") { holder, types, targets, safety, expires, parent };
        grant.SetAction((parse, ct) => WithKernelAsync(error, async (kernel, _) =>
        {
            var caller = Caller(kernel, parse.GetValue(asOption));
            var scope = new CapabilityScope(parse.GetValue(types)!, parse.GetValue(targets)!, parse.GetValue(safety)!);
            var outcome = parse.GetValue(parent) is { } parentId
                ? await ConsentCli.SendAsync(kernel, caller, parse.GetValue(keyOption) ?? ConsentCli.DefaultKeyFile(caller.Actor.Id), "core.DelegateCapability", null, new DelegateCapability(parentId, parse.GetValue(holder)!, scope, null, parse.GetValue(expires)), output, ct, Guid.NewGuid().ToString("N"))
                : await ConsentCli.SendAsync(kernel, caller, parse.GetValue(keyOption) ?? ConsentCli.DefaultKeyFile(caller.Actor.Id), "core.GrantCapability", null, new GrantCapability(parse.GetValue(holder)!, scope, null, parse.GetValue(expires)), output, ct, Guid.NewGuid().ToString("N"));
            if (!await ReportAsync(outcome, output, error))
            {
                return 1;
            }

            var granted = (await kernel.Log.ReadAsync(outcome.Position!.Value - 1, 1, ct))[0].Envelope.PayloadAs<CapabilityGranted>();
            await output.WriteLineAsync($"capability_id: {granted.CapabilityId}");
            return 0;
        }));

        var capabilityId = new Argument<string>("capability-id");
        var reason = new Option<string>("--reason") { Description = "Why (recorded).", DefaultValueFactory = _ => "revoked by operator" };
        var revoke = new Command("revoke", "Revoke a capability; delegations under it stop too.") { capabilityId, reason };
        revoke.SetAction((parse, ct) => WithKernelAsync(error, async (kernel, _) =>
        {
            var id = parse.GetValue(capabilityId)!;
            var caller = Caller(kernel, parse.GetValue(asOption));
            var outcome = await ConsentCli.SendAsync(kernel, caller, parse.GetValue(keyOption) ?? ConsentCli.DefaultKeyFile(caller.Actor.Id), "core.RevokeCapability", null, new RevokeCapability(id, parse.GetValue(reason)!), output, ct);
            return await ExitAsync(outcome, output, error);
        }));

        var actorFilter = new Option<string?>("--actor") { Description = "Only this holder." };
        var at = CliValues.Instant("--at", "Evaluate as of this instant (ISO 8601 UTC) instead of now, for audit.");
        var list = new Command("list", "List capabilities with their state as of now or --at.") { actorFilter, at };
        list.SetAction((parse, ct) => WithKernelAsync(error, async (kernel, _) =>
        {
            var when = parse.GetValue(at) ?? kernel.Runtime.Time.GetUtcNow();
            await output.WriteLineAsync($"As of {OpsJson.FormatInstant(when)}:");
            foreach (var view in await CliLists.OrNoneAsync(output, await kernel.Admin.CapabilitiesAsync(when, ct), "no capabilities"))
            {
                if (parse.GetValue(actorFilter) is { } only && view.HolderActorId != only)
                {
                    continue;
                }

                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{view.CapabilityId}  holder={view.HolderActorId}  {(view.InvalidReason is null ? "valid" : "INVALID: " + view.InvalidReason)}"));
                await output.WriteLineAsync($"    types={string.Join(",", view.Scope.CommandTypes)} targets={string.Join(",", view.Scope.Targets)} safety={string.Join(",", view.Scope.SafetyClasses)} expires={(view.ExpiresAt is { } e ? OpsJson.FormatInstant(e) : "never")}{(view.ParentCapabilityId is { } p ? " parent=" + p : string.Empty)} state_ref={view.StateRef}");
            }

            return 0;
        }));
        return new Command("capabilities", "Grant, revoke and list capabilities (constitution A4).") { grant, revoke, list };
    }

    private static Command Database(TextWriter output, TextWriter error)
    {
        var to = new Option<string?>("--to") { Description = "Target migration id, or 0 to remove every table (default: the latest)." };
        var migrate = new Command("migrate", "Migrate every routed database up (default) or down to --to. Down to 0 deletes all data: for tests and rollbacks only.") { to };
        migrate.SetAction(parse =>
        {
            try
            {
                foreach (var database in OpsAdministration.Migrate(HostComposition.StorageProviders, HostComposition.BuildConfiguration(), Directory.GetCurrentDirectory(), parse.GetValue(to)))
                {
                    var applied = database.AppliedMigrations;
                    output.WriteLine($"{database.Database}: {applied.Count} migration(s) applied{(applied.Count > 0 ? ", latest " + applied[^1] : string.Empty)}.");
                }

                return 0;
            }
            catch (Exception ex) when (ex is InvalidOperationException or Ops.Core.Errors.OpsException or System.Data.Common.DbException)
            {
                error.WriteLine(CliErrors.MessageOf(ex));
                return CliErrors.ExitCodeOf(ex);
            }
        });
        var unlock = new Command("unlock", "Release the schema-migration lock that a killed migration left behind (only when no migration is running).");
        unlock.SetAction(parse =>
        {
            foreach (var database in OpsAdministration.ReleaseMigrationLocks(HostComposition.StorageProviders, HostComposition.BuildConfiguration(), Directory.GetCurrentDirectory()))
            {
                output.WriteLine($"{database.Database}: {(database.LockReleased ? "released a stale migration lock" : "no migration lock was held")}.");
            }

            return 0;
        });
        var backupFile = new Argument<string>("file") { Description = "The new backup file (never overwritten)." };
        var backup = new Command("backup", "Copy the log's SQLite database online to a new file (SQLite's backup API), after signing a checkpoint of its head, and verify the copy's chain. For PostgreSQL, use pg_dump (docs/operations.md).") { backupFile };
        backup.SetAction((parse, ct) => WithKernelAsync(error, async (kernel, _) =>
        {
            var done = await kernel.Admin.BackupAsync(parse.GetValue(backupFile)!, ct);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Backed up the log to {done.File}: head at position {done.Head}{(done.Checkpoint is { } c ? $", checkpoint signed at position {c}" : ", no new checkpoint (the head was already signed, or checkpoints go to standard output)")}."));
            await output.WriteLineAsync(done.Verification.IsIntact
                ? $"Verified the copy: chain intact, {done.Verification.TrustedCheckpoints.Count} signed checkpoint(s) at or before its head."
                : $"The copy does NOT verify: {string.Join("; ", done.Verification.Findings.Select(f => f.ToString()))}. Keep the original; it was not changed.");
            return done.Verification.IsIntact ? 0 : EdgeReasons.Refused;
        }));
        var restoreFile = new Argument<string>("file") { Description = "A backup made by 'db backup'." };
        var acceptRollback = new Option<bool>("--accept-rollback") { Description = "Restore a backup that ends behind the latest signed checkpoint (what was appended since is lost; the checkpoints past it are moved aside)." };
        var restore = new Command("restore", "With the worker stopped: verify a backup and copy it over the log's SQLite database; refused when it ends behind the latest signed checkpoint unless --accept-rollback.") { restoreFile, acceptRollback };
        restore.SetAction(async (parse, ct) =>
        {
            try
            {
                var done = await OpsAdministration.RestoreAsync(HostComposition.StorageProviders, HostComposition.BuildConfiguration(), Directory.GetCurrentDirectory(), parse.GetValue(restoreFile)!, parse.GetValue(acceptRollback), ct);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Restored {done.Database} from the backup: head at position {done.Head}."));
                if (done.MovedTo is { } moved)
                {
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Rolled back: {done.CheckpointsMovedAside} checkpoint(s) past the backup moved to {moved} (kept as evidence)."));
                }

                return 0;
            }
            catch (Exception ex) when (ex is Ops.Core.Errors.OpsException or IOException or System.Data.Common.DbException)
            {
                return await CliErrors.ReportAsync(error, ex);
            }
        });
        return new Command("db", "Database maintenance: migrate, unlock, backup, restore.") { migrate, unlock, backup, restore };
    }

    /// <summary>Opens the kernel for one CLI command that runs no pack code (<see cref="PackCode.CheckOnly"/>): the default.</summary>
    internal static Task<int> WithKernelAsync(TextWriter error, Func<OpsSession, PackLoader, Task<int>> action) => WithKernelAsync(error, action, PackCode.CheckOnly);

    /// <summary>
    /// Opens the kernel for one CLI command. Only <paramref name="mayCreate"/> commands (init) create a database: any other
    /// command in a folder without one says so instead of creating an empty database and reporting on it. Pack code is
    /// loaded only with <see cref="PackCode.Load"/>, for verbs that may run a pack's handler (issue 16 item 3); with
    /// <see cref="PackCode.CheckOnly"/> the installed packs are checked and reported, and nothing of them runs.
    /// </summary>
    internal static async Task<int> WithKernelAsync(TextWriter error, Func<OpsSession, PackLoader, Task<int>> action, PackCode packCode, bool mayCreate = false)
    {
        using var loggers = LoggerFactory.Create(l => l.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        try
        {
            var configuration = HostComposition.BuildConfiguration();
            if (!mayCreate && HostComposition.MissingDatabase(configuration, Directory.GetCurrentDirectory()) is { } missing)
            {
                await error.WriteLineAsync($"ops: there is no database at {missing}. Run 'init' first, or run this command in the folder the worker runs in (or set Ops__Routes__event_log__ConnectionString). Nothing was created.");
                return 1;
            }

            var kernel = HostComposition.Open(configuration, loggers, Directory.GetCurrentDirectory(), packCode);
            await using (kernel)
            {
                // The worker refuses to start on these; the CLI says so and goes on, so the operator can look.
                try
                {
                    foreach (var finding in (await kernel.Admin.CheckStartAsync(CancellationToken.None)).Findings)
                    {
                        await error.WriteLineAsync($"ops: WARNING ({finding.Code}): {finding.Message}. Run 'log verify'; the worker will not start until this is resolved.");
                    }
                }
                catch (Ops.Core.Errors.OpsException ex)
                {
                    await error.WriteLineAsync($"ops: WARNING ({ex.Code}): {ex.Message}");
                }

                return await action(kernel, kernel.Loader);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or Ops.Core.Routing.RouteMissingException or Ops.Core.Log.LogCommitException or IOException or Ops.Core.Errors.OpsException or UnauthorizedAccessException or System.Text.Json.JsonException or System.Data.Common.DbException)
        {
            return await CliErrors.ReportAsync(error, ex);
        }
    }

    internal static CallerContext Caller(OpsSession kernel, string? actorId) => kernel.Admin.Caller(actorId, "cli");

    /// <summary>Reports the outcome and returns its exit code (<see cref="CliErrors.ExitCodeOf(CommandOutcome)"/>).</summary>
    internal static async Task<int> ExitAsync(CommandOutcome outcome, TextWriter output, TextWriter error)
    {
        await ReportAsync(outcome, output, error);
        return CliErrors.ExitCodeOf(outcome);
    }

    internal static async Task<bool> ReportAsync(CommandOutcome outcome, TextWriter output, TextWriter error)
    {
        if (outcome.IsAccepted)
        {
            await output.WriteLineAsync($"{outcome.CommandType}: accepted (command {outcome.CommandId[..12]}, position {outcome.Position}).");
            return true;
        }

        await error.WriteLineAsync(CliErrors.RejectionOf(outcome));
        return false;
    }
}
