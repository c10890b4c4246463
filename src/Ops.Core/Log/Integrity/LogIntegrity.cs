using System.Globalization;
using Ops.Core.Identity;
using Ops.Core.Log.Checkpoints;
using Ops.Core.Storage;

namespace Ops.Core.Log.Integrity;

/// <summary>
/// <c>log verify</c> and the worker's start check (issue 7 item 5): the log's chain, the outcome chain,
/// and both against the signed checkpoints kept outside the database. The checks against checkpoints
/// are a pure function of (checkpoint files, trusted key, heads, the stored hash at each signed
/// position), so the database verify and the tamper tests share them.
/// </summary>
internal static class LogIntegrity
{
    /// <summary>
    /// The full check: chain scan from position 1, outcome chain from seq 1, every checkpoint, the schema of the log's
    /// tables, and every row read back as an envelope (core rows folded as the kernel folds them at start). Nothing a
    /// stored row holds can make it throw: a row that does not parse is a finding with its position, reported after the
    /// chain finding that locates the same damage.
    /// </summary>
    public static async Task<IntegrityReport> VerifyAsync(IEventStore log, IReadOnlyList<CheckpointFile> checkpoints, TrustedCheckpointKey? key, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var extra = new List<IntegrityFinding>();
        var extraNotes = new List<string>();
        var scanner = new ChainScanner();
        try
        {
            await log.ScanChainAsync(scanner, 1, long.MaxValue, progress, cancellationToken);
        }
        catch (Exception ex) when (IsReadFailure(ex))
        {
            extra.Add(Unreadable(scanner.Expected, ex));
        }

        var chain = scanner.Result();
        OutcomeVerification? outcomes = null;
        try
        {
            outcomes = await VerifyOutcomesAsync(log, cancellationToken);
        }
        catch (Exception ex) when (IsReadFailure(ex))
        {
            extra.Add(new IntegrityFinding(IntegrityProblem.OutcomesBroken, null, "a command outcome could not be read back: " + Describe(ex)));
        }

        var heads = await HeadsAndAnchorsAsync(log, checkpoints, cancellationToken);
        // Rows up to a trusted checkpoint that the intact chain reaches are byte for byte what the kernel wrote, so they
        // read back; only the rows after it (and a row where the chain broke) need parsing to find one that does not.
        // After a break or a signed position whose hash differs, the chain finding already locates the damage and nothing
        // later can be trusted: parsing stops there.
        bool Matches(CheckpointSigned c) => heads.Rows.GetValueOrDefault(c.Position) is { } stored && Convert.ToHexStringLower(stored) == c.RowHash;
        var trusted = key is null ? [] : checkpoints.Select(f => f.Checkpoint).OfType<CheckpointSigned>().Where(c => key.Verify(c) is null && c.Position <= heads.Head).OrderBy(c => c.Position).ToList();
        var anchored = trusted.TakeWhile(Matches).Where(c => chain.IsValid || chain.FirstBrokenPosition > c.Position).Select(c => c.Position).DefaultIfEmpty(0).Max();
        var until = Math.Min(chain.FirstBrokenPosition ?? long.MaxValue, trusted.FirstOrDefault(c => !Matches(c))?.Position ?? long.MaxValue);
        if (await ReadabilityAsync(log, anchored, until, chain.FirstBrokenPosition, cancellationToken) is { } unreadable)
        {
            extra.Add(unreadable);
        }

        var schema = await SchemaAsync(log, checkpoints, key, cancellationToken);
        extra.AddRange(schema.Findings);
        extraNotes.AddRange(schema.Notes);
        var report = Compose(chain, outcomes, heads.Head, heads.OutcomesHead, checkpoints, key, p => heads.Rows.GetValueOrDefault(p), s => heads.Outcomes.GetValueOrDefault(s));
        return report with { Findings = [.. report.Findings, .. extra], Notes = [.. report.Notes, .. extraNotes] };
    }

    /// <summary>
    /// Reads rows back as the kernel does and returns the first that does not parse, or null: every core row folded into
    /// core state (what the worker folds at start), every row after <paramref name="anchoredThrough"/> up to
    /// <paramref name="until"/> decoded, and the row where the chain broke (so its finding says what kind of damage it
    /// is). The chain scan hashes the stored bytes without parsing them, so this is what tells a row the worker cannot
    /// open on.
    /// </summary>
    public static async Task<IntegrityFinding?> ReadabilityAsync(IEventStore log, long anchoredThrough, long until, long? brokenAt, CancellationToken cancellationToken)
    {
        var found = new List<IntegrityFinding>();
        if (brokenAt is { } broken && (broken <= anchoredThrough || broken > until) && await DecodeAsync(log, broken - 1, broken, cancellationToken) is { } atBreak)
        {
            found.Add(atBreak);
        }

        var core = Capabilities.CoreState.Empty;
        long folded = 0;
        try
        {
            await foreach (var logged in log.ReadCoreEventsAsync(0, cancellationToken))
            {
                core = core.ApplyStored(logged);
                folded = logged.Position;
            }
        }
        catch (Exception ex) when (IsReadFailure(ex))
        {
            found.Add(Unreadable(folded + 1, ex));
        }

        if (await DecodeAsync(log, anchoredThrough, until, cancellationToken) is { } after)
        {
            found.Add(after);
        }

        return found.OrderBy(f => f.Position).FirstOrDefault();
    }

    private static async Task<IntegrityFinding?> DecodeAsync(IEventStore log, long after, long through, CancellationToken cancellationToken)
    {
        try
        {
            while (after < through)
            {
                var batch = await log.ReadAsync(after, (int)Math.Min(10_000, through - after), cancellationToken);
                if (batch.Count == 0)
                {
                    return null;
                }

                after = batch[^1].Position;
            }

            return null;
        }
        catch (Exception ex) when (IsReadFailure(ex))
        {
            return Unreadable(after + 1, ex);
        }
    }

    /// <summary>
    /// The schema of the log's tables against the one the migrations create: a difference is a finding (a trigger
    /// dropped, disabled or rewritten, a table renamed and copied back). A checkpoint's signed schema hash that differs
    /// from today's while today's is the expected one is a note: a migration changed the tables since it was signed.
    /// </summary>
    public static async Task<(IReadOnlyList<IntegrityFinding> Findings, IReadOnlyList<string> Notes)> SchemaAsync(IEventStore log, IReadOnlyList<CheckpointFile> checkpoints, TrustedCheckpointKey? key, CancellationToken cancellationToken)
    {
        LogSchema? live;
        LogSchema? expected;
        try
        {
            live = await log.ReadLogSchemaAsync(cancellationToken);
            expected = await log.ExpectedLogSchemaAsync(cancellationToken);
        }
        catch (Exception ex) when (IsReadFailure(ex))
        {
            return ([new IntegrityFinding(IntegrityProblem.SchemaAltered, null, "the schema of the log's tables could not be read or worked out: " + Describe(ex))], []);
        }

        if (live is null || expected is null)
        {
            return ([], ["The schema of the log's tables is not checked on this engine."]);
        }

        if (live.Hash != expected.Hash)
        {
            return ([new IntegrityFinding(IntegrityProblem.SchemaAltered, null, $"the schema of the log's tables is not the one the migrations create, so the database may no longer refuse UPDATE and DELETE: {live.DescribeAgainst(expected)}. Restore the database from a backup taken before the change (then run 'log verify' again)")], []);
        }

        var latest = LatestTrusted(checkpoints, key)?.Checkpoint;
        return latest?.SchemaHash is { } signed && signed != live.Hash
            ? ([], [$"The schema of the log's tables differs from the one signed at position {latest.Position}; it is the one the migrations create now (a migration changed the log's tables since)."])
            : ([], []);
    }

    /// <summary>Failures of reading stored rows back (a row that does not parse, a driver refusing a value of the wrong type); a cancellation is none of them.</summary>
    private static bool IsReadFailure(Exception exception) =>
        exception is System.Data.Common.DbException or InvalidCastException or FormatException or OverflowException or IndexOutOfRangeException or ArgumentException or InvalidOperationException
        || exception is Errors.OpsException { Code: Errors.ReasonCodes.RowUnreadable };

    private static IntegrityFinding Unreadable(long position, Exception exception) =>
        RowDamage.PositionOf(exception) is { } at
            ? new IntegrityFinding(IntegrityProblem.RowUnreadable, at, exception.Message)
            : new IntegrityFinding(IntegrityProblem.RowUnreadable, position, string.Create(CultureInfo.InvariantCulture, $"the log row at position {position} could not be read back: {Describe(exception)}. The row was altered in the database after it was written"));

    private static string Describe(Exception exception) =>
        exception is System.Data.Common.DbException or Errors.OpsException ? exception.Message : "a stored value is not of the type its column holds";

    /// <summary>
    /// What the worker checks before it starts, without a chain scan: the latest checkpoint that verifies
    /// (its position and hash, its outcome seq and hash) against the log's heads, and every projection's
    /// checkpoint against the log's head.
    /// </summary>
    public static async Task<IntegrityReport> CheckStartAsync(IEventStore log, IReadOnlyList<CheckpointFile> checkpoints, TrustedCheckpointKey? key, IEnumerable<IProjectionStore> projectionStores, CancellationToken cancellationToken)
    {
        // Only the latest checkpoint that verifies: a folder of a year's checkpoints must not slow a start.
        var latest = LatestTrusted(checkpoints, key);
        // Without a key nothing can be trusted, and the finding says so; with one, forged files are ignored here (log verify names them).
        IReadOnlyList<CheckpointFile> considered = latest is not null ? [latest] : key is null ? checkpoints : [];
        // Projection checkpoints before the head: another worker on the same database may append and fold between the two
        // reads, and the head only grows, so this order never mistakes its progress for a lost tail.
        var projections = new List<(string Projection, ProjectionCheckpoint Checkpoint)>();
        foreach (var store in projectionStores.Distinct())
        {
            projections.AddRange(await store.ReadCheckpointsAsync(cancellationToken));
        }

        var heads = await HeadsAndAnchorsAsync(log, considered, cancellationToken);
        var report = Compose(null, null, heads.Head, heads.OutcomesHead, considered, key, p => heads.Rows.GetValueOrDefault(p), s => heads.Outcomes.GetValueOrDefault(s));
        var findings = report.Findings.Where(f => f.Problem is not (IntegrityProblem.CheckpointUnreadable or IntegrityProblem.CheckpointSignatureInvalid)).ToList();
        findings.AddRange((await SchemaAsync(log, considered, key, cancellationToken)).Findings);
        foreach (var (projection, checkpoint) in projections.Where(p => p.Checkpoint.Position > heads.Head))
        {
            findings.Add(new IntegrityFinding(IntegrityProblem.ProjectionAhead, heads.Head + 1, string.Create(CultureInfo.InvariantCulture,
                $"projection {projection} has folded events up to position {checkpoint.Position}, but the log ends at position {heads.Head}: the log lost its tail after the projection read it (truncated, or restored from an older backup), so the projection no longer matches the log")));
        }

        return report with { Findings = findings };
    }

    /// <summary>The start check of an open kernel: its checkpoint folder and key file, and every routed database's projection checkpoints.</summary>
    public static async Task<IntegrityReport> CheckStartAsync(Hosting.OpsKernel kernel, CancellationToken cancellationToken)
    {
        using var key = kernel.Checkpoints.TrustedKey();
        var stores = kernel.Routes.All.Select(r => kernel.EngineFor(r.ResourceKind).Projections).ToList();
        var report = await CheckStartAsync(kernel.EventLog.Store, kernel.Checkpoints.ReadCheckpoints(), key, stores, cancellationToken);
        return kernel.Writer.Damage is { } damage ? report with { Findings = [.. await LocateAsync(kernel.EventLog.Store, damage, cancellationToken), .. report.Findings] } : report;
    }

    /// <summary>
    /// Where a core row the writer could not fold at open really is damaged: the chain scanned up to it names an
    /// altered row first (at or before it), then the row itself with what is wrong with it. Runs only on damage.
    /// </summary>
    private static async Task<IReadOnlyList<IntegrityFinding>> LocateAsync(IEventStore log, Errors.OpsException damage, CancellationToken cancellationToken)
    {
        var position = RowDamage.PositionOf(damage) ?? long.MaxValue;
        var findings = new List<IntegrityFinding>();
        var scanner = new ChainScanner();
        try
        {
            await log.ScanChainAsync(scanner, 1, position, null, cancellationToken);
            if (scanner.Result() is { IsValid: false } chain)
            {
                findings.Add(new IntegrityFinding(IntegrityProblem.ChainBroken, chain.FirstBrokenPosition, chain.Problem!));
            }
        }
        catch (Exception ex) when (IsReadFailure(ex))
        {
            findings.Add(Unreadable(scanner.Expected, ex));
        }

        findings.Add(Unreadable(position, damage));
        return findings;
    }


    /// <summary>The checks of the checkpoints against the heads, plus the chain results when given.</summary>
    public static IntegrityReport Compose(LogVerification? chain, OutcomeVerification? outcomes, long head, long outcomesHead, IReadOnlyList<CheckpointFile> checkpoints, TrustedCheckpointKey? key, Func<long, byte[]?> rowHashAt, Func<long, byte[]?> outcomeHashAt)
    {
        var findings = new List<IntegrityFinding>();
        var notes = new List<string>();
        if (chain is { IsValid: false })
        {
            findings.Add(new IntegrityFinding(IntegrityProblem.ChainBroken, chain.FirstBrokenPosition, chain.Problem!));
        }

        if (outcomes is { IsValid: false })
        {
            findings.Add(new IntegrityFinding(IntegrityProblem.OutcomesBroken, outcomes.FirstBrokenSeq, "command outcome seq " + outcomes.FirstBrokenSeq + ": " + outcomes.Problem));
        }

        if (outcomes is { Unchained: > 0 })
        {
            notes.Add($"{outcomes.Unchained} command outcome(s) were recorded before the outcome chain existed (migration 20261201000002) and are not covered by it.");
        }

        var trusted = new List<CheckpointFile>();
        foreach (var file in checkpoints)
        {
            if (file.Checkpoint is not { } c)
            {
                findings.Add(new IntegrityFinding(IntegrityProblem.CheckpointUnreadable, null, $"checkpoint file {file.Name} could not be read: {file.Error}"));
            }
            else if (key is not null && key.Verify(c) is { } bad)
            {
                findings.Add(new IntegrityFinding(IntegrityProblem.CheckpointSignatureInvalid, c.Position, $"checkpoint file {file.Name} (position {c.Position}) is refused: {bad}"));
            }
            else if (key is not null)
            {
                trusted.Add(file);
            }
        }

        if (key is null && checkpoints.Count > 0)
        {
            findings.Add(new IntegrityFinding(IntegrityProblem.NoTrustedKey, null, $"{checkpoints.Count} checkpoint file(s) were given but no trusted checkpoint key (the key file is missing): none can be checked. Pass --checkpoint-key <public key or PEM file>, or restore the key file."));
        }
        else if (checkpoints.Count == 0)
        {
            notes.Add("No checkpoints were given: the chain was checked only against itself, which cannot detect a truncated tail or a re-chained log. Sign one with 'log checkpoint'.");
        }

        trusted.Sort((a, b) => a.Checkpoint!.Position.CompareTo(b.Checkpoint!.Position));
        CheckAgainst(trusted, head, c => c.Position, c => c.RowHash, rowHashAt, "position", IntegrityProblem.Truncated, IntegrityProblem.Rechained, "the log", findings);
        CheckAgainst([.. trusted.OrderBy(f => f.Checkpoint!.OutcomesSeq)], outcomesHead, c => c.OutcomesSeq, c => c.OutcomesHash, outcomeHashAt, "outcome seq", IntegrityProblem.OutcomesTruncated, IntegrityProblem.OutcomesRechained, "the command outcomes", findings);
        return new IntegrityReport(chain, outcomes, head, outcomesHead, [.. trusted.Select(f => f.Checkpoint!)], findings, notes);
    }

    /// <summary>The checkpoint with the highest position whose signature verifies, or null.</summary>
    public static CheckpointFile? LatestTrusted(IReadOnlyList<CheckpointFile> checkpoints, TrustedCheckpointKey? key) =>
        key is null
            ? null
            : checkpoints.Where(f => f.Checkpoint is not null).OrderByDescending(f => f.Checkpoint!.Position).ThenByDescending(f => f.Checkpoint!.SignedAt)
                .FirstOrDefault(f => key.Verify(f.Checkpoint!) is null);

    private static void CheckAgainst(List<CheckpointFile> trusted, long head, Func<CheckpointSigned, long> positionOf, Func<CheckpointSigned, string> hashOf, Func<long, byte[]?> storedAt, string unit, IntegrityProblem truncated, IntegrityProblem rechained, string what, List<IntegrityFinding> findings)
    {
        if (trusted.Count == 0)
        {
            return;
        }

        var furthest = trusted[^1];
        var furthestPosition = positionOf(furthest.Checkpoint!);
        if (furthestPosition > head)
        {
            findings.Add(new IntegrityFinding(truncated, head + 1, string.Create(CultureInfo.InvariantCulture,
                $"{what} ends at {unit} {head}, but checkpoint {furthest.Name} (signed {OpsJson.FormatInstant(furthest.Checkpoint!.SignedAt)}) covers {unit} {furthestPosition}: {unit}s {head + 1}..{furthestPosition} are missing (the tail was truncated, or the database was restored from an older backup)"),
                head + 1));
        }

        CheckpointFile? lastGood = null;
        foreach (var file in trusted)
        {
            var c = file.Checkpoint!;
            var position = positionOf(c);
            if (position < 1 || position > head)
            {
                continue;
            }

            var stored = storedAt(position);
            if (stored is not null && Convert.ToHexStringLower(stored) == hashOf(c))
            {
                lastGood = file;
                continue;
            }

            var from = lastGood is null ? 1 : positionOf(lastGood.Checkpoint!) + 1;
            var differing = trusted.Count(f => positionOf(f.Checkpoint!) is var p && p >= position && p <= head && (storedAt(p) is not { } s || Convert.ToHexStringLower(s) != hashOf(f.Checkpoint!)));
            var found = stored is null ? "there is no row there" : $"the stored hash is {Convert.ToHexStringLower(stored)[..16]}…";
            var bracket = lastGood is null
                ? $"No earlier checkpoint matches, so the rewrite is at or before {unit} {position}."
                : $"It still matches checkpoint {lastGood.Name} at {unit} {positionOf(lastGood.Checkpoint!)}, so the rewrite starts in {unit}s {from}..{position}.";
            findings.Add(new IntegrityFinding(rechained, position, string.Create(CultureInfo.InvariantCulture,
                $"{what} differs from checkpoint {file.Name} (signed {OpsJson.FormatInstant(c.SignedAt)}) at {unit} {position}: it signed hash {hashOf(c)[..16]}…, {found}. The history was rewritten and re-chained (the chain can be consistent in itself). {bracket}{(differing > 1 ? $" {differing} checkpoints disagree in all." : string.Empty)}"),
                from));
            return;
        }
    }

    /// <summary>Recomputes the outcome chain from seq 1 (<see cref="OutcomeChain"/>) and counts unchained (pre-chain) outcomes.</summary>
    public static async Task<OutcomeVerification> VerifyOutcomesAsync(IEventStore log, CancellationToken cancellationToken)
    {
        var unchained = await log.CountUnchainedOutcomesAsync(cancellationToken);
        var previous = LogChain.Genesis;
        long expected = 1;
        long rows = 0;
        await foreach (var stored in log.ReadOutcomeRowsAsync(cancellationToken))
        {
            rows++;
            var row = stored.Row;
            var problem = row.Seq != expected
                ? string.Create(CultureInfo.InvariantCulture, $"gap: expected seq {expected}, found {row.Seq}")
                : !stored.PrevHash.AsSpan().SequenceEqual(previous)
                    ? "prev_hash does not link to the outcome before it (an outcome before it was removed or replaced, or this link was edited)"
                    : OutcomeChain.RowHash(previous, row) is var recomputed && !recomputed.AsSpan().SequenceEqual(stored.RowHash)
                        ? "outcome content does not match its row_hash (the outcome was altered)"
                        : null;
            if (problem is not null)
            {
                return new OutcomeVerification(false, rows, row.Seq, Convert.ToHexStringLower(previous), unchained, row.Seq, problem);
            }

            previous = stored.RowHash;
            expected++;
        }

        return new OutcomeVerification(true, rows, expected - 1, Convert.ToHexStringLower(previous), unchained, null, null);
    }

    private static async Task<(long Head, long OutcomesHead, IReadOnlyDictionary<long, byte[]> Rows, IReadOnlyDictionary<long, byte[]> Outcomes)> HeadsAndAnchorsAsync(IEventStore log, IReadOnlyList<CheckpointFile> checkpoints, CancellationToken cancellationToken)
    {
        var heads = await log.ReadHeadsAsync(cancellationToken);
        var rows = await log.RowHashesAtAsync(checkpoints.Where(f => f.Checkpoint is not null).Select(f => f.Checkpoint!.Position), cancellationToken);
        var outcomes = await log.OutcomeHashesAtAsync(checkpoints.Where(f => f.Checkpoint is not null).Select(f => f.Checkpoint!.OutcomesSeq), cancellationToken);
        return (heads.Position, heads.OutcomesSeq, rows, outcomes);
    }
}
