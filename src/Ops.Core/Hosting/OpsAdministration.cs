using Microsoft.Extensions.Configuration;
using Ops.Core.Capabilities;
using Ops.Core.Commands;
using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Log;
using Ops.Core.Log.Checkpoints;
using Ops.Core.Log.Integrity;
using Ops.Core.Packs.Install;
using Ops.Core.Projections;
using Ops.Core.Routing;
using Ops.Core.Storage;

namespace Ops.Core.Hosting;

/// <summary>
/// The operator's side of a running kernel, for a host's admin surface (this repository's CLI, or an embedder's own):
/// who holds what, break-glass recovery, log verification, export and checkpoints, projection checks and rebuilds,
/// schema migrations. Pack authors never need it. Whoever can resolve it can open the database file, which is
/// bootstrap authority (seed 004): only <see cref="RecoverAsync"/> writes without a capability, and it records that it
/// did. Every other change goes through <see cref="ICommandGateway"/> under consent. Resolve it from the container
/// <see cref="Microsoft.Extensions.DependencyInjection.OpsServiceCollectionExtensions.AddOps"/> filled; thread-safe.
/// </summary>
public sealed class OpsAdministration
{
    private readonly OpsKernel _kernel;

    internal OpsAdministration(OpsKernel kernel) => _kernel = kernel;

    /// <summary>The checkpoint folder (<c>Ops:Checkpoints:Directory</c>, resolved against the content root), or null when checkpoints go to standard output.</summary>
    public string? CheckpointDirectory => _kernel.Checkpoints.Directory;

    /// <summary>
    /// The caller an admin command acts as: <paramref name="actorId"/>, or the admin <c>init</c> created (the holder
    /// of the capability granted by bootstrap authority).
    /// </summary>
    /// <param name="actorId">The actor to act as, or null for the initial admin.</param>
    /// <param name="surfaceId">The surface, for example <c>cli</c> (seed 001 §5).</param>
    /// <returns>The caller; nothing is checked here beyond registration, the gateway authorizes every command.</returns>
    /// <exception cref="OpsException"><see cref="ReasonCodes.UnknownActor"/>: the log has no admin yet (run <c>init</c>), or the actor is not registered.</exception>
    public CallerContext Caller(string? actorId, string surfaceId)
    {
        var core = _kernel.Writer.CommittedCore;
        var id = actorId
            ?? core.Capabilities.Values.Select(h => h[0].Payload).OfType<CapabilityGranted>().FirstOrDefault(g => g.GrantedBy == Bootstrap.BootstrapActorId)?.HolderActorId
            ?? throw new OpsException(ReasonCodes.UnknownActor, "The database is not initialized (it has no admin to act as): run 'init' first. Nothing was changed.");
        return core.Actors.TryGetValue(id, out var actor)
            ? new CallerContext(new ActorRef(actor.ActorId, actor.Kind), surfaceId)
            : throw new OpsException(ReasonCodes.UnknownActor, $"Actor '{id}' is not registered. Nothing was changed.");
    }

    /// <summary>Registered actors as of the log's head, by id, with their status at <paramref name="at"/>.</summary>
    /// <param name="at">The instant (UTC) the status is evaluated at.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>One row per actor, ordered by id (ordinal).</returns>
    public async Task<IReadOnlyList<OpsActorView>> ActorsAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        var core = await _kernel.CoreReader.CurrentAsync(cancellationToken);
        return [.. core.Actors.Values.OrderBy(a => a.ActorId, StringComparer.Ordinal).Select(actor => new OpsActorView(
            actor.ActorId,
            actor.Kind,
            actor.TenantId,
            core.ActorInvalidReason(actor.ActorId, at),
            core.ApiKeys.Values.Count(k => k.ActorId == actor.ActorId && !core.RevokedApiKeys.ContainsKey(k.KeyId)),
            core.SignerKeys.Keys.Count(k => core.SignerKeyOwner(k) == actor.ActorId && core.SignerKeyAt(k, at).Revoked is null)))];
    }

    /// <summary>API keys as of the log's head (ids and owners; the log keeps only the SHA-256 of each secret).</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Ordered by actor, then key id (ordinal).</returns>
    public async Task<IReadOnlyList<OpsKeyView>> ApiKeysAsync(CancellationToken cancellationToken)
    {
        var core = await _kernel.CoreReader.CurrentAsync(cancellationToken);
        return [.. core.ApiKeys.Values.OrderBy(k => k.ActorId, StringComparer.Ordinal).ThenBy(k => k.KeyId, StringComparer.Ordinal)
            .Select(k => new OpsKeyView(k.KeyId, k.ActorId, core.RevokedApiKeys.TryGetValue(k.KeyId, out var r) ? r.Reason : null))];
    }

    /// <summary>Consent signing keys as of the log's head, with their revocation at <paramref name="at"/> (constitution A4).</summary>
    /// <param name="at">The instant (UTC) revocations are evaluated at.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Ordered by key id (ordinal).</returns>
    public async Task<IReadOnlyList<OpsKeyView>> SignerKeysAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        var core = await _kernel.CoreReader.CurrentAsync(cancellationToken);
        return [.. core.SignerKeys.Keys.Order(StringComparer.Ordinal)
            .Select(id => new OpsKeyView(id, core.SignerKeyOwner(id) ?? string.Empty, core.SignerKeyAt(id, at).Revoked?.Reason))];
    }

    /// <summary>Every capability with its state at <paramref name="at"/>: scope after delegation, expiry, and why it is invalid if it is (constitution A4).</summary>
    /// <param name="at">The instant (UTC) to evaluate at; an earlier one answers "what could this actor do then" for audit.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Capabilities that existed at <paramref name="at"/>, ordered by id (ordinal).</returns>
    public async Task<IReadOnlyList<OpsCapabilityView>> CapabilitiesAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        var core = await _kernel.CoreReader.CurrentAsync(cancellationToken);
        var views = new List<OpsCapabilityView>();
        foreach (var id in core.Capabilities.Keys.Order(StringComparer.Ordinal))
        {
            if (CapabilityEvaluator.StateAt(core, id, at) is { } view)
            {
                views.Add(new OpsCapabilityView(id, view.Grant.HolderActorId, view.Scope, view.Grant.ExpiresAt, view.Grant.ParentCapabilityId, view.StateRef, CapabilityEvaluator.ChainInvalidReason(core, id, at)));
            }
        }

        return views;
    }

    /// <summary>Every version of every consent policy with its status at <paramref name="at"/> (constitution §2: draft → active → deprecated).</summary>
    /// <param name="at">The instant (UTC) to evaluate at.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Ordered by policy name, then version.</returns>
    public async Task<IReadOnlyList<PolicyState>> PoliciesAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        var core = await _kernel.CoreReader.CurrentAsync(cancellationToken);
        return [.. core.Policies.Keys.OrderBy(id => core.PolicyName(id), StringComparer.Ordinal).SelectMany(id => core.PolicyVersionsAt(id, at))];
    }

    /// <summary>The packs the log records as installed (<c>core.PackInstalled</c> not followed by <c>core.PackRemoved</c>).</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Ordered by pack id (ordinal).</returns>
    public async Task<IReadOnlyList<PackInstalled>> InstalledPacksAsync(CancellationToken cancellationToken)
    {
        var core = await _kernel.CoreReader.CurrentAsync(cancellationToken);
        return [.. core.Packs.Values.OrderBy(p => p.PackId, StringComparer.Ordinal)];
    }

    /// <summary>
    /// A new bearer API key, <c>ops_&lt;12 hex key id&gt;_&lt;48 hex secret&gt;</c>, from the framework's CSPRNG. Nothing is
    /// recorded: issue it with <c>core.IssueApiKey</c> carrying <see cref="OpsNewApiKey.SecretSha256"/>, and show
    /// <see cref="OpsNewApiKey.Token"/> once.
    /// </summary>
    /// <returns>The key.</returns>
    public static OpsNewApiKey NewApiKey()
    {
        var key = ApiKeys.Generate();
        return new OpsNewApiKey(key.KeyId, key.Token, key.SecretSha256);
    }

    /// <summary>
    /// Break-glass (<c>admin recover</c>, bootstrap authority, seed 004): enables <paramref name="actorId"/>, registers
    /// <paramref name="signerPublicKey"/> and a new API key, grants a root capability when it holds no valid one, and
    /// appends <c>core.RecoveryPerformed</c> naming the operating-system user and machine, all in one transaction.
    /// </summary>
    /// <param name="actorId">The admin to recover.</param>
    /// <param name="signerPublicKey">Its new consent signing key: base64 SubjectPublicKeyInfo of an ECDSA P-256 key.</param>
    /// <param name="reason">Why, recorded.</param>
    /// <param name="cancellationToken">Cancels waiting for the writer.</param>
    /// <returns>What was created; the API key is shown once.</returns>
    /// <exception cref="OpsException"><see cref="ReasonCodes.UnknownActor"/>: no such actor; nothing was changed.</exception>
    /// <exception cref="OpsException"><see cref="ReasonCodes.InvalidKey"/>: the key is not usable; nothing was changed.</exception>
    /// <exception cref="LogCommitException">The database could not commit; nothing was written.</exception>
    public async Task<OpsRecovered> RecoverAsync(string actorId, string signerPublicKey, string reason, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(actorId);
        ArgumentException.ThrowIfNullOrEmpty(signerPublicKey);
        ArgumentNullException.ThrowIfNull(reason);
        var result = await Recovery.RecoverAsync(_kernel, actorId, signerPublicKey, reason, cancellationToken);
        return new OpsRecovered(result.ActorId, result.TenantId, result.CapabilityId.Length > 0 ? result.CapabilityId : null, result.ApiKey, result.SignerKeyId);
    }

    /// <summary>Audit records of committed mutations (seed 000), for an operator at the database; HTTP callers use <see cref="OpsRuntime.ReadAuditAsync"/>.</summary>
    /// <param name="actor">Only this actor's, or null.</param>
    /// <param name="target">Only this target_ref's, or null.</param>
    /// <param name="from">Committed at or after (UTC), or null.</param>
    /// <param name="to">Committed before (UTC), or null.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>In log order.</returns>
    public async Task<IReadOnlyList<AuditRecord>> AuditAsync(string? actor, string? target, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken) =>
        await AuditReader.QueryAsync(_kernel.EventLog, actor, target, from, to, cancellationToken);

    /// <summary>
    /// <c>log verify</c>: recomputes the hash chain from position 1 and the outcome chain from seq 1, and checks both
    /// against the signed checkpoints (issue 7 item 5). Repairs nothing.
    /// </summary>
    /// <param name="checkpointDirectory">A folder of checkpoint files, or null for <see cref="CheckpointDirectory"/>.</param>
    /// <param name="trustedKey">The trusted checkpoint public keys, comma-separated (each a base64 SubjectPublicKeyInfo or a PEM file), or null for the public half of the configured key file and <c>Ops:Checkpoints:TrustedKeys</c>.</param>
    /// <param name="progress">Receives the rows checked so far, about every 100,000 rows; may be null.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>Every finding; <see cref="IntegrityReport.IsIntact"/> when there is none.</returns>
    /// <exception cref="OpsException">The trusted key does not parse (<see cref="ReasonCodes.BadRequest"/>).</exception>
    /// <exception cref="IOException">The folder or the key file cannot be read.</exception>
    public async Task<IntegrityReport> VerifyLogAsync(string? checkpointDirectory, string? trustedKey, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        using var key = trustedKey is null ? _kernel.Checkpoints.TrustedKey() : TrustedCheckpointKey.ParseAll(trustedKey);
        var checkpoints = checkpointDirectory is null ? _kernel.Checkpoints.ReadCheckpoints() : CheckpointStore.Read(Path.GetFullPath(checkpointDirectory));
        var report = await LogIntegrity.VerifyAsync(_kernel.EventLog.Store, checkpoints, key, progress, cancellationToken);
        // The outbox joins the tamper evidence: each request's row must be what its chained stream recorded (issue 20 item 2).
        var (outbox, notes) = await Egress.OutboxIntegrity.VerifyAsync(_kernel.EventLog.Store, _kernel.Egress.Store, cancellationToken);
        return report with { Findings = [.. report.Findings, .. outbox], Notes = [.. report.Notes, .. notes] };
    }

    /// <summary>
    /// <c>log verify --file</c>: verifies an export (<see cref="ExportAsync"/>) offline, without a database: the chain
    /// from its first row, anchored at position 1 or at the signed checkpoint it opens with, sealed by the signed
    /// checkpoint of its last row. A partial or fabricated file is refused with findings.
    /// </summary>
    /// <param name="export">The export, JSON Lines.</param>
    /// <param name="trustedKey">The trusted checkpoint public keys, comma-separated (each a base64 SubjectPublicKeyInfo or a PEM file), or null for the public half of the key file and <c>Ops:Checkpoints:TrustedKeys</c> configured in <paramref name="configuration"/>.</param>
    /// <param name="configuration">The configuration root (<c>Ops:Checkpoints</c>).</param>
    /// <param name="contentRoot">The folder relative paths resolve against.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>Every finding.</returns>
    /// <exception cref="OpsException">The trusted key does not parse (<see cref="ReasonCodes.BadRequest"/>).</exception>
    /// <exception cref="IOException">The export or the key file cannot be read.</exception>
    public static async Task<IntegrityReport> VerifyExportAsync(TextReader export, string? trustedKey, IConfiguration configuration, string contentRoot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(export);
        ArgumentNullException.ThrowIfNull(configuration);
        TrustedCheckpointKey? key;
        if (trustedKey is not null)
        {
            key = TrustedCheckpointKey.ParseAll(trustedKey);
        }
        else
        {
            var options = new CheckpointOptions();
            configuration.GetSection("Ops:Checkpoints").Bind(options);
            using var file = CheckpointKey.Load(CheckpointService.Resolve(options, contentRoot).KeyFile);
            key = TrustedCheckpointKey.Ring(file, options.TrustedKeys);
        }

        using (key)
        {
            return await ChainExport.VerifyAsync(export, key, cancellationToken);
        }
    }

    /// <summary>
    /// The start check the worker runs before it listens: the log against the latest trusted checkpoint (truncated or
    /// re-chained), and projections ahead of the log. The worker refuses to start on any finding; the CLI warns.
    /// </summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The findings; intact when there are none.</returns>
    /// <exception cref="OpsException"><see cref="ReasonCodes.IntegrityViolation"/>: checkpoints exist but the key to trust them is missing.</exception>
    public Task<IntegrityReport> CheckStartAsync(CancellationToken cancellationToken) => LogIntegrity.CheckStartAsync(_kernel, cancellationToken);

    /// <summary>The start check as the worker reports it: null when it may start, else what is wrong and what to do (several lines).</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>Null, or the refusal.</returns>
    public Task<string?> StartRefusalAsync(CancellationToken cancellationToken) => KernelStartup.CheckAsync(_kernel, cancellationToken);

    /// <summary>The checkpoint signing key (<c>Ops:Checkpoints:KeyFile</c>, kept outside the database), created mode 0600 on first use.</summary>
    /// <returns>Its id, public key and file; never the private key.</returns>
    /// <exception cref="IOException">The key file cannot be read or created.</exception>
    public OpsCheckpointKey CheckpointSigningKey()
    {
        using var key = _kernel.Checkpoints.KeyForSigning();
        return new OpsCheckpointKey(key.KeyId, key.PublicKey, key.Path);
    }

    /// <summary>
    /// <c>log checkpoint</c>: signs a checkpoint of the log's committed head and outcome head, writes it to
    /// <see cref="CheckpointDirectory"/> (or <paramref name="standardOutput"/> when that is <c>-</c>) and records
    /// <c>core.CheckpointSigned</c> (issue 7 item 5).
    /// </summary>
    /// <param name="standardOutput">Where a checkpoint goes when the configured folder is <c>-</c>; may be null otherwise.</param>
    /// <param name="cancellationToken">Cancels waiting for the writer.</param>
    /// <returns>The checkpoint and the file it was written to (null for standard output).</returns>
    /// <exception cref="IOException">The key or the folder cannot be written.</exception>
    /// <exception cref="LogCommitException">The event could not be committed; the file may exist, the event does not.</exception>
    public async Task<SignedCheckpointResult> SignCheckpointAsync(TextWriter? standardOutput, CancellationToken cancellationToken) =>
        (await _kernel.Checkpoints.SignAsync(skipWhenUnchanged: false, standardOutput, cancellationToken))!;

    /// <summary>
    /// <c>log export</c>: the rows from <paramref name="from"/> to the head with their chain, as JSON Lines, opened by the
    /// signed checkpoint of row <c>from - 1</c> (when <paramref name="from"/> &gt; 1) and sealed by a checkpoint signed now
    /// over the last row (a real one: file and event). Verify it anywhere with <see cref="VerifyExportAsync"/>.
    /// </summary>
    /// <param name="output">Where the export goes.</param>
    /// <param name="from">The first position: 1, or one past a signed checkpoint in <see cref="CheckpointDirectory"/>.</param>
    /// <param name="checkpointOutput">Where the closing checkpoint goes when the configured folder is <c>-</c>.</param>
    /// <param name="cancellationToken">Cancels the export.</param>
    /// <returns>The rows written and the closing checkpoint.</returns>
    /// <exception cref="OpsException"><see cref="ReasonCodes.BadRequest"/>: no signed checkpoint of row <c>from - 1</c> verifies; nothing was exported.</exception>
    public async Task<OpsExport> ExportAsync(TextWriter output, long from, TextWriter? checkpointOutput, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        CheckpointSigned? start = null;
        if (from > 1)
        {
            using var key = _kernel.Checkpoints.TrustedKey();
            var candidates = _kernel.Checkpoints.ReadCheckpoints().Where(f => f.Checkpoint is not null).ToList();
            start = candidates.Select(f => f.Checkpoint!).FirstOrDefault(c => c.Position == from - 1 && key is not null && key.Verify(c) is null);
            if (start is null)
            {
                var known = string.Join(", ", candidates.Select(f => f.Checkpoint!.Position + 1).Distinct().Order().Take(20));
                throw new OpsException(ReasonCodes.BadRequest, $"An export from position {from} must open with the signed checkpoint of position {from - 1}, and {CheckpointDirectory ?? "the checkpoint folder"} holds none that verifies. Export from 1{(known.Length > 0 ? ", or from one of: " + known : string.Empty)}. Nothing was exported.");
            }
        }

        var signed = await SignCheckpointAsync(checkpointOutput, cancellationToken);
        var rows = await ChainExport.ExportAsync(_kernel.EventLog.Store, output, start, signed.Checkpoint, cancellationToken);
        return new OpsExport(rows, (start?.Position ?? 0) + 1, signed.Checkpoint);
    }

    /// <summary>How many events a projection has still to fold: the log's head minus its checkpoint.</summary>
    /// <param name="projection">The projection's registered name.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Events, 0 or more.</returns>
    /// <exception cref="OpsException"><see cref="ReasonCodes.NotFound"/>: no such projection.</exception>
    public async Task<long> ProjectionLagAsync(string projection, CancellationToken cancellationToken) =>
        await _kernel.Projections.LagAsync(Registered(projection), cancellationToken);

    /// <summary>
    /// <c>projections verify</c>: rebuilds the projection in memory from the log up to its checkpoint and compares state
    /// hashes (tenant and mode included) with the stored documents (constitution A6). Changes nothing.
    /// </summary>
    /// <param name="projection">The projection's registered name.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The verdict and, when it differs, the first differing document.</returns>
    /// <exception cref="OpsException"><see cref="ReasonCodes.NotFound"/>: no such projection.</exception>
    /// <exception cref="ProjectionFailedException">The fold threw.</exception>
    public async Task<ProjectionVerification> VerifyProjectionAsync(string projection, CancellationToken cancellationToken) =>
        await _kernel.Projections.VerifyAsync(Registered(projection), cancellationToken);

    /// <summary><c>projections rebuild</c>: drops the projection's documents and folds the whole log again, in one transaction of its store.</summary>
    /// <param name="projection">The projection's registered name.</param>
    /// <param name="cancellationToken">Cancels the rebuild; the stored documents stay as they were.</param>
    /// <returns>The state hash after the rebuild (64 hex).</returns>
    /// <exception cref="OpsException"><see cref="ReasonCodes.NotFound"/>: no such projection.</exception>
    /// <exception cref="ProjectionFailedException">The fold threw; documents and checkpoint stay as they were.</exception>
    public async Task<string> RebuildProjectionAsync(string projection, CancellationToken cancellationToken)
    {
        await _kernel.Projections.RebuildAsync(Registered(projection), cancellationToken);
        return await _kernel.Projections.StateHashAsync(projection, cancellationToken);
    }

    /// <summary>The projections parked after their fold threw (issue 16 item 6), as of the log's head, by name.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Each park, in ordinal order of the projection's name; empty when none is parked.</returns>
    public async Task<IReadOnlyList<OpsParkedProjection>> ParkedProjectionsAsync(CancellationToken cancellationToken)
    {
        var core = await _kernel.CoreReader.CurrentAsync(cancellationToken);
        return [.. core.ParkedProjections.Values.OrderBy(p => p.Projection, StringComparer.Ordinal).Select(View)];
    }

    /// <summary>
    /// <c>projections resume</c>: lifts the park of a projection whose fold threw (appends <c>core.ProjectionResumed</c> with
    /// <paramref name="reason"/>), then folds it up to the log's head at once. When the fold throws again the projection is
    /// parked again, on the record, and the result says so.
    /// </summary>
    /// <param name="projection">The projection's registered name.</param>
    /// <param name="reason">Why it is resumed (recorded; for example the fix that was installed).</param>
    /// <param name="cancellationToken">Cancels the resume; a catch-up cut short leaves the projection resumed and behind.</param>
    /// <returns>The park that was lifted (null when the projection was not parked: nothing was appended) and the park now in force, if the fold threw again.</returns>
    /// <exception cref="OpsException"><see cref="ReasonCodes.NotFound"/>: no such projection; nothing was changed.</exception>
    /// <exception cref="Log.LogCommitException">The database could not commit; nothing was written.</exception>
    public async Task<OpsProjectionResume> ResumeProjectionAsync(string projection, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var name = Registered(projection);
        var lifted = await Projections.ProjectionFaults.ResumeAsync(_kernel.Writer, _kernel.Options.Mode, name, reason, cancellationToken);
        await _kernel.Projections.CatchUpAsync([name], cancellationToken);
        var core = await _kernel.CoreReader.CurrentAsync(cancellationToken);
        return new OpsProjectionResume(lifted is null ? null : View(lifted), core.ParkedProjections.TryGetValue(name, out var again) ? View(again) : null);
    }

    private static OpsParkedProjection View(Projections.ProjectionParked p) => new(p.Projection, p.Version, p.Owner, p.Position, p.EventType, p.ErrorType, p.Attempt);

    /// <summary>
    /// <c>db backup</c> (issue 15 item 5): signs a checkpoint of the log's head, copies the log's SQLite database online
    /// (SQLite's backup API: a consistent snapshot while a worker may go on writing) to <paramref name="file"/>, and verifies
    /// the copy's chain against every signed checkpoint at or before its head. The copy holds what the log's database
    /// holds (the log, the outbox and the projections routed to the same file); other routed databases are not copied.
    /// </summary>
    /// <param name="file">The new backup file; it must not exist.</param>
    /// <param name="cancellationToken">Cancels the verification (the copy is then left, unverified).</param>
    /// <returns>The copy's path, its head position and the verification of its chain.</returns>
    /// <exception cref="OpsException"><see cref="ReasonCodes.BadRequest"/>: the log is not on SQLite (use pg_dump, docs/operations.md); or the file exists. Nothing was written.</exception>
    public async Task<OpsBackup> BackupAsync(string file, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        var route = _kernel.Routes.Resolve("event_log");
        if (_kernel.Routes.Providers.For(route.Provider, route.ResourceKind) is not IFileDatabaseProvider files || files.DatabaseFile(route) is not { } database)
        {
            throw new OpsException(ReasonCodes.BadRequest, $"db backup copies a log kept in one database file (SQLite); this log is on {route.Label}: back it up with its own tools (pg_dump, docs/operations.md \"Backup and restore\"). Nothing was written.");
        }

        var target = Path.GetFullPath(file);
        if (File.Exists(target))
        {
            throw new OpsException(ReasonCodes.BadRequest, $"{target} exists; a backup never overwrites a file. Choose another name. Nothing was written.");
        }

        var signed = _kernel.Checkpoints.Directory is null ? null : await _kernel.Checkpoints.SignAsync(skipWhenUnchanged: true, null, cancellationToken);
        files.Copy(database, target);
        var report = await VerifyCopyAsync(_kernel.Routes.Providers, files, target, _kernel.Checkpoints.ReadCheckpoints(), _kernel.Checkpoints.TrustedKey(), cancellationToken);
        return new OpsBackup(target, report.Head, signed?.Checkpoint.Position, report);
    }

    /// <summary>
    /// <c>db restore</c> (issue 15 item 5), with the worker stopped: verifies the backup's chain, refuses a backup whose head
    /// is behind the latest signed checkpoint (restoring it would roll the log back, and the worker would refuse to start)
    /// unless <paramref name="acceptRollback"/>, in which case the checkpoints past its head are moved aside (kept as
    /// evidence) and the rollback is said; then copies the backup over the log's SQLite database.
    /// </summary>
    /// <param name="providers">The storage providers the routes may name (the worker passes all it ships).</param>
    /// <param name="configuration">The configuration root.</param>
    /// <param name="contentRoot">The folder relative paths resolve against.</param>
    /// <param name="file">The backup file (<c>db backup</c>).</param>
    /// <param name="acceptRollback">Restore a backup behind the latest checkpoint all the same.</param>
    /// <param name="cancellationToken">Cancels the verification (nothing is changed then).</param>
    /// <returns>What was restored, and the checkpoints moved aside.</returns>
    /// <exception cref="OpsException"><see cref="ReasonCodes.BadRequest"/> (not SQLite, no such file), <see cref="ReasonCodes.IntegrityViolation"/> (the backup's chain is broken), <see cref="ReasonCodes.MigrationRefused"/> (behind the latest checkpoint without the flag). Nothing was changed.</exception>
    public static async Task<OpsRestore> RestoreAsync(IEnumerable<IStorageProvider> providers, IConfiguration configuration, string contentRoot, string file, bool acceptRollback, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        var routes = Routes(providers, configuration, contentRoot, out _);
        var route = routes.Resolve("event_log");
        if (routes.Providers.For(route.Provider, route.ResourceKind) is not IFileDatabaseProvider files || files.DatabaseFile(route) is not { } target)
        {
            throw new OpsException(ReasonCodes.BadRequest, $"db restore replaces a log kept in one database file (SQLite); this log is on {route.Label}: restore it with its own tools (pg_restore, docs/operations.md). Nothing was changed.");
        }

        var backup = Path.GetFullPath(file);
        if (!File.Exists(backup))
        {
            throw new OpsException(ReasonCodes.BadRequest, $"{backup} does not exist. Nothing was changed.");
        }

        var options = new CheckpointOptions();
        configuration.GetSection("Ops:Checkpoints").Bind(options);
        var resolved = CheckpointService.Resolve(options, contentRoot);
        var checkpoints = resolved.Directory is null ? [] : CheckpointStore.Read(resolved.Directory);
        using var keyFile = CheckpointKey.Load(resolved.KeyFile);
        using var key = TrustedCheckpointKey.Ring(keyFile, options.TrustedKeys);
        var report = await VerifyCopyAsync(routes.Providers, files, backup, checkpoints, key, cancellationToken);
        if (!report.IsIntact)
        {
            throw new OpsException(ReasonCodes.IntegrityViolation, $"the backup {backup} does not verify ({string.Join("; ", report.Findings.Select(f => f.ToString()))}). Nothing was changed.");
        }

        var ahead = checkpoints.Where(c => c.Checkpoint is { } signed && signed.Position > report.Head).ToList();
        if (ahead.Count > 0 && !acceptRollback)
        {
            throw new OpsException(ReasonCodes.MigrationRefused, $"the backup ends at position {report.Head}, behind the latest signed checkpoint at position {ahead.Max(c => c.Checkpoint!.Position)}: restoring it rolls the log back, and what was appended since is lost. Nothing was changed. Pass --accept-rollback to restore it all the same (the checkpoints past it are moved aside, kept as evidence).");
        }

        string? movedTo = null;
        if (ahead.Count > 0)
        {
            movedTo = Path.Combine(resolved.Directory!, "rolled-back-" + DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            Directory.CreateDirectory(movedTo);
            foreach (var checkpoint in ahead)
            {
                var path = Path.Combine(resolved.Directory!, checkpoint.Name);
                File.Move(path, Path.Combine(movedTo, Path.GetFileName(path)));
            }
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
        files.Copy(backup, target);

        return new OpsRestore(Path.GetFullPath(target), report.Head, ahead.Count, movedTo);
    }

    /// <summary>The chain of a SQLite copy of the log, against the checkpoints at or before its head (those after it are the live log's, not the copy's).</summary>
    private static async Task<IntegrityReport> VerifyCopyAsync(StorageProviders providers, IFileDatabaseProvider files, string file, IReadOnlyList<CheckpointFile> checkpoints, TrustedCheckpointKey? key, CancellationToken cancellationToken)
    {
        using var engine = providers.Open(files.RouteFor("event_log", file), new StorageContext("NORMAL", TimeProvider.System));
        var head = await engine.Events.HeadPositionAsync(cancellationToken);
        return await LogIntegrity.VerifyAsync(engine.Events, [.. checkpoints.Where(c => c.Checkpoint is null || c.Checkpoint.Position <= head)], key, null, cancellationToken);
    }

    /// <summary>
    /// <c>db migrate</c>: migrates every routed database (<c>Ops:Routes</c>) up to the latest migration, or to
    /// <paramref name="to"/>; <c>0</c> removes every table. Opens no kernel.
    /// </summary>
    /// <param name="providers">The storage providers the routes may name (the worker passes all it ships).</param>
    /// <param name="configuration">The configuration root.</param>
    /// <param name="contentRoot">The folder relative paths resolve against.</param>
    /// <param name="to">A migration id, <c>0</c>, or null for the latest.</param>
    /// <returns>Each database with its applied migrations afterwards.</returns>
    /// <exception cref="OpsException">A destructive step was refused, or the migration lock is held.</exception>
    /// <exception cref="RouteMissingException">A core resource kind has no route.</exception>
    public static IReadOnlyList<OpsDatabaseState> Migrate(IEnumerable<IStorageProvider> providers, IConfiguration configuration, string contentRoot, string? to) =>
        [.. ForEachDatabase(providers, configuration, contentRoot, engine =>
        {
            engine.Migrate(to);
            return new OpsDatabaseState(engine.Description, engine.AppliedMigrations(), false);
        })];

    /// <summary><c>db unlock</c>: releases the schema-migration lock a killed migration left behind, on every routed database. Run it only when no migration runs.</summary>
    /// <param name="providers">The storage providers the routes may name (the worker passes all it ships).</param>
    /// <param name="configuration">The configuration root.</param>
    /// <param name="contentRoot">The folder relative paths resolve against.</param>
    /// <returns>Each database, with whether a lock was released.</returns>
    public static IReadOnlyList<OpsDatabaseState> ReleaseMigrationLocks(IEnumerable<IStorageProvider> providers, IConfiguration configuration, string contentRoot) =>
        [.. ForEachDatabase(providers, configuration, contentRoot, engine => new OpsDatabaseState(engine.Description, engine.AppliedMigrations(), engine.ReleaseMigrationLock()))];

    /// <summary>The log's database file when its route is a SQLite file that does not exist yet; null otherwise (so a command other than <c>init</c> can refuse to create one).</summary>
    /// <param name="providers">The storage providers the routes may name (the worker passes all it ships).</param>
    /// <param name="configuration">The configuration root.</param>
    /// <param name="contentRoot">The folder relative paths resolve against.</param>
    /// <returns>The missing file's path, or null.</returns>
    public static string? MissingDatabase(IEnumerable<IStorageProvider> providers, IConfiguration configuration, string contentRoot)
    {
        var routes = Routes(providers, configuration, contentRoot, out _);
        var route = routes.Resolve("event_log");
        return routes.Providers.For(route.Provider, route.ResourceKind) is IFileDatabaseProvider files && files.DatabaseFile(route) is { } path && !File.Exists(path) ? path : null;
    }

    /// <summary>
    /// The packs the log records as installed, read before the kernel is composed, so a host loads exactly those
    /// (pack id and content hash from the install record, never from the pack folder).
    /// </summary>
    /// <param name="providers">The storage providers the routes may name (the worker passes all it ships).</param>
    /// <param name="configuration">The configuration root.</param>
    /// <param name="contentRoot">The folder relative paths resolve against.</param>
    /// <returns>By pack id; empty when the log does not exist yet.</returns>
    public static IReadOnlyDictionary<string, PackInstalled> ReadInstalledPacks(IEnumerable<IStorageProvider> providers, IConfiguration configuration, string contentRoot) =>
        ReadInstalledPackSet(providers, configuration, contentRoot).Packs;

    /// <summary>
    /// As <see cref="ReadInstalledPacks"/>, with the contract bindings: which installed pack each contract assembly name is
    /// bound to, so the loader takes a contract only from its exporter's recorded file (issue 16 item 4).
    /// </summary>
    /// <param name="providers">The storage providers the routes may name (the worker passes all it ships).</param>
    /// <param name="configuration">The configuration root.</param>
    /// <param name="contentRoot">The folder relative paths resolve against.</param>
    /// <returns>Empty when the log does not exist yet.</returns>
    public static InstalledPackSet ReadInstalledPackSet(IEnumerable<IStorageProvider> providers, IConfiguration configuration, string contentRoot)
    {
        var routes = Routes(providers, configuration, contentRoot, out var options);
        return InstalledPackReader.Read(routes, options);
    }

    private static IEnumerable<OpsDatabaseState> ForEachDatabase(IEnumerable<IStorageProvider> providers, IConfiguration configuration, string contentRoot, Func<IStorageEngine, OpsDatabaseState> action)
    {
        var routes = Routes(providers, configuration, contentRoot, out var options);
        var states = new List<OpsDatabaseState>();
        foreach (var route in routes.All.DistinctBy(r => r.Provider + "|" + r.ConnectionString))
        {
            using var engine = routes.Providers.Open(route, new StorageContext(options.Synchronous, TimeProvider.System));
            states.Add(action(engine));
        }

        return states;
    }

    private static RoutingRegistry Routes(IEnumerable<IStorageProvider> providers, IConfiguration configuration, string contentRoot, out KernelOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        options = new KernelOptions();
        configuration.GetSection("Ops").Bind(options);
        return new RoutingRegistry(configuration.GetSection("Ops"), options.Mode, contentRoot, new StorageProviders(providers));
    }

    private string Registered(string projection)
    {
        ArgumentNullException.ThrowIfNull(projection);
        if (_kernel.Registry.Projections.ContainsKey(projection))
        {
            return projection;
        }

        var all = _kernel.Registry.Projections.Keys.Order(StringComparer.Ordinal).ToList();
        throw new OpsException(ReasonCodes.NotFound, $"No projection '{projection}' is registered; registered: {(all.Count == 0 ? "none" : string.Join(", ", all))}. Nothing was changed.");
    }
}

/// <summary>An actor as <see cref="OpsAdministration.ActorsAsync"/> lists it.</summary>
/// <param name="ActorId">Its id.</param>
/// <param name="Kind">Human, service or agent.</param>
/// <param name="TenantId">Its tenant.</param>
/// <param name="DisabledReason">Why it cannot act at the instant asked about, or null when it is enabled.</param>
/// <param name="ActiveApiKeys">API keys not revoked.</param>
/// <param name="ActiveSignerKeys">Consent signing keys not revoked.</param>
public sealed record OpsActorView(string ActorId, ActorKind Kind, string TenantId, string? DisabledReason, int ActiveApiKeys, int ActiveSignerKeys);

/// <summary>An API key or a consent signing key, by id and owner; secrets and private keys are never stored.</summary>
/// <param name="KeyId">The key id.</param>
/// <param name="ActorId">Its owner.</param>
/// <param name="RevokedReason">Why it was revoked, or null while it is active.</param>
public sealed record OpsKeyView(string KeyId, string ActorId, string? RevokedReason);

/// <summary>A capability as <see cref="OpsAdministration.CapabilitiesAsync"/> lists it (constitution A4).</summary>
/// <param name="CapabilityId">Its id (64 hex).</param>
/// <param name="HolderActorId">Who holds it.</param>
/// <param name="Scope">Its scope at the instant asked about (narrowed by its grant and every parent's).</param>
/// <param name="ExpiresAt">When it expires (UTC), or null.</param>
/// <param name="ParentCapabilityId">The capability it was delegated from, or null for a grant.</param>
/// <param name="StateRef">The hash of its event history (what a decision records).</param>
/// <param name="InvalidReason">Why it, or a capability above it, authorizes nothing, or null when it is valid.</param>
public sealed record OpsCapabilityView(string CapabilityId, string HolderActorId, CapabilityScope Scope, DateTimeOffset? ExpiresAt, string? ParentCapabilityId, string StateRef, string? InvalidReason);

/// <summary>A new API key from <see cref="OpsAdministration.NewApiKey"/>.</summary>
/// <param name="KeyId">12 hex.</param>
/// <param name="Token">The bearer token, shown once: <c>ops_&lt;key id&gt;_&lt;secret&gt;</c>.</param>
/// <param name="SecretSha256">SHA-256 of the secret, 64 hex: what <c>core.IssueApiKey</c> records.</param>
public sealed record OpsNewApiKey(string KeyId, string Token, string SecretSha256);

/// <summary>What <see cref="OpsAdministration.RecoverAsync"/> created.</summary>
/// <param name="ActorId">The recovered actor.</param>
/// <param name="TenantId">Its tenant.</param>
/// <param name="CapabilityId">The root capability granted because it held no valid one, or null.</param>
/// <param name="ApiKey">Its new API key, shown once.</param>
/// <param name="SignerKeyId">Its new consent signing key's id.</param>
public sealed record OpsRecovered(string ActorId, string TenantId, string? CapabilityId, string ApiKey, string SignerKeyId);

/// <summary>A projection parked after its fold threw (<c>core.ProjectionParked</c>, issue 16 item 6).</summary>
/// <param name="Projection">The projection's registered name.</param>
/// <param name="Version">The projection version that failed.</param>
/// <param name="Owner">The pack that registered it.</param>
/// <param name="Position">Log position of the event its fold threw on; its documents stop before it.</param>
/// <param name="EventType">That event's type.</param>
/// <param name="ErrorType">Full name of the exception's type (the message is in the worker's log).</param>
/// <param name="Attempt">1 for the first park, one more after each resume.</param>
public sealed record OpsParkedProjection(string Projection, int Version, string Owner, long Position, string EventType, string ErrorType, int Attempt);

/// <summary>What <see cref="OpsAdministration.ResumeProjectionAsync"/> did.</summary>
/// <param name="Lifted">The park it lifted, or null when the projection was not parked.</param>
/// <param name="ParkedAgain">The park in force afterwards, when the fold threw again; null when the projection is folding.</param>
public sealed record OpsProjectionResume(OpsParkedProjection? Lifted, OpsParkedProjection? ParkedAgain);

/// <summary>What <see cref="OpsAdministration.BackupAsync"/> wrote.</summary>
/// <param name="File">The backup's full path.</param>
/// <param name="Head">The copy's head position.</param>
/// <param name="Checkpoint">The position of the checkpoint signed for it, or null when none was signed (unchanged head, or checkpoints to standard output).</param>
/// <param name="Verification">The copy's chain against the checkpoints at or before its head.</param>
public sealed record OpsBackup(string File, long Head, long? Checkpoint, IntegrityReport Verification);

/// <summary>What <see cref="OpsAdministration.RestoreAsync"/> did.</summary>
/// <param name="Database">The log's database file that now holds the backup.</param>
/// <param name="Head">Its head position.</param>
/// <param name="CheckpointsMovedAside">Checkpoints past the head moved aside (a rollback accepted), 0 otherwise.</param>
/// <param name="MovedTo">Where they were moved, or null.</param>
public sealed record OpsRestore(string Database, long Head, int CheckpointsMovedAside, string? MovedTo);

/// <summary>The checkpoint signing key's public facts.</summary>
/// <param name="KeyId">Its id.</param>
/// <param name="PublicKey">Base64 SubjectPublicKeyInfo (ECDSA P-256): what a verifier elsewhere trusts.</param>
/// <param name="Path">The private key file (mode 0600); keep a copy off the machine.</param>
public sealed record OpsCheckpointKey(string KeyId, string PublicKey, string Path);

/// <summary>What <see cref="OpsAdministration.ExportAsync"/> wrote.</summary>
/// <param name="Rows">Rows exported.</param>
/// <param name="FirstPosition">The first row's position.</param>
/// <param name="Checkpoint">The closing checkpoint, over the last row.</param>
public sealed record OpsExport(long Rows, long FirstPosition, CheckpointSigned Checkpoint);

/// <summary>A routed database after a schema operation.</summary>
/// <param name="Database">The engine's description (provider and file or server; never a password).</param>
/// <param name="AppliedMigrations">Migration ids applied, oldest first.</param>
/// <param name="LockReleased">For <see cref="OpsAdministration.ReleaseMigrationLocks"/>: whether a stale lock was released.</param>
public sealed record OpsDatabaseState(string Database, IReadOnlyList<string> AppliedMigrations, bool LockReleased);
