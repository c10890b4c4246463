using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Envelopes;
using Ops.Core.Log;
using Ops.Core.Log.Checkpoints;
using Ops.Core.Log.Integrity;
using Ops.Core.Storage;
using Ops.Testing;
using Xunit.Abstractions;

namespace Ops.Core.Tests;

/// <summary>
/// Issue 20 item 4, the tamper matrix on the database itself: a 10,000-row log written by the kernel (core rows with
/// their command outcomes, safety records, pack rows), signed checkpoints every 1,000 rows and at the head, then at
/// 1,000 seeded random positions (plus the first and the last, and at least 100 on core rows and 30 on safety rows)
/// one attack each, round-robin over bit flip, member rename, field edit, delete, insert, swap, truncation and a
/// re-chain from the edit to the head, written into the real database behind the triggers, followed by the schema
/// attacks. After each, the real <c>log verify</c> (<see cref="LogIntegrity.VerifyAsync"/>) runs on the database, the
/// writer opens on it as a starting worker's does, and the start check runs; every attack must be detected and
/// located where it was made, and nothing may throw. Each mutation is reverted before the next, so one generated log
/// serves them all. The engines differ only in how rows are written behind the triggers (<see cref="ITamperTarget"/>).
/// </summary>
internal sealed class DatabaseTamperMatrix(ITestOutputHelper output)
{
    public const int Rows = 10_000;
    private const int CheckpointEvery = 1_000;

    internal enum Attack
    {
        BitFlip,
        MemberRename,
        FieldEdit,
        Delete,
        Insert,
        Swap,
        Truncate,
        Rechain,
    }

    /// <summary>How rows are written behind the append-only triggers, and how a schema attack is made and undone, on one engine.</summary>
    internal interface ITamperTarget
    {
        /// <summary>
        /// Deletes the rows at <paramref name="positions"/> and inserts <paramref name="rows"/> behind the triggers (the
        /// schema as it was afterwards), and returns the engine to check: the kernel's own, or one on a copy made for
        /// this mutation.
        /// </summary>
        Task<IStorageEngine> MutateAsync(IReadOnlyList<long> positions, IReadOnlyList<StoredRow> rows);

        /// <summary>Undoes the last <see cref="MutateAsync"/> (deletes what it added, puts back what it deleted; or drops the copy).</summary>
        Task UndoAsync(IReadOnlyList<long> added, IReadOnlyList<StoredRow> removed);

        /// <summary>The schema attacks: name, the attack, and the SQL that undoes it (null for the last, which is not undone).</summary>
        IReadOnlyList<(string Name, string Attack, string? Undo)> SchemaAttacks { get; }

        Task ExecuteAsync(string sql);
    }

    /// <summary>Writes the log through the kernel: core rows (actors registered through the gateway, with outcomes), safety records, pack rows.</summary>
    public static async Task<(int Core, int Safety, int Pack)> BuildAsync(KernelHarness h)
    {
        var t = h.Time.GetUtcNow();
        for (var i = 0; i < 150; i++)
        {
            var outcome = await h.SendAsync("core.RegisterActor", $"actor-m{i}", new Capabilities.RegisterActor($"m{i}", ActorKind.Service, "matrix"));
            Assert.True(outcome.IsAccepted, outcome.Reason);
        }

        for (var i = 0; i < 60; i++)
        {
            await h.Kernel.Safety.RecordAsync(new Safety.SafetyDecision("POST /v1/commands", $"intruder-{i}", "acme", null, Errors.ReasonCodes.CapabilityDenied, $"matrix refusal {i}"), CancellationToken.None);
        }

        var head = (int)await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);
        for (var done = head; done < Rows;)
        {
            var n = Math.Min(100, Rows - done);
            var drafts = Enumerable.Range(done, n)
                .Select(k => TestEvents.Draft("m" + k, new { k, note = "tamper matrix row", tags = new[] { "a", "b" } }, t.AddMilliseconds(k), sequence: k % 3 == 0 ? null : k) with { EventType = "pack.matrix.rows.RowWritten" })
                .ToList();
            var stream = "pack.matrix:" + done;
            await h.Kernel.Writer.ExecuteAsync((s, ct) => s.AppendAsync(stream, null, drafts, ct), CancellationToken.None);
            done += n;
        }

        var rows = await ReadAllAsync(h.Kernel.EventLog.Store);
        Assert.Equal(Rows, rows.Count);
        return (rows.Count(r => r.Row.EventType.StartsWith("core.", StringComparison.Ordinal) && r.Row.EventType != "core.SafetyDecisionRecorded"), rows.Count(r => r.Row.EventType == "core.SafetyDecisionRecorded"), rows.Count(r => r.Row.EventType.StartsWith("pack.", StringComparison.Ordinal)));
    }

    public static async Task<List<StoredRow>> ReadAllAsync(IEventStore store) => await store.ReadRowsAsync(1, long.MaxValue, CancellationToken.None).ToListAsync();

    /// <summary>Runs the matrix; returns nothing, asserts everything. <paramref name="label"/> names the engine in the counts.</summary>
    public async Task RunAsync(string label, KernelHarness h, ITamperTarget target, int seed, int positionsWanted)
    {
        var watch = Stopwatch.StartNew();
        var kinds = await BuildAsync(h);
        var log = await ReadAllAsync(h.Kernel.EventLog.Store);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label}: log of {log.Count:N0} rows ({kinds.Core} core, {kinds.Safety} safety, {kinds.Pack} pack) written in {watch.Elapsed.TotalSeconds:0.0} s; seed {seed} (rerun with OPS_TAMPER_SEED={seed})"));

        var store = h.Kernel.EventLog.Store;
        var heads = await store.ReadHeadsAsync(CancellationToken.None);
        var schema = (await store.ReadLogSchemaAsync(CancellationToken.None))!.Hash;
        using var signing = h.Kernel.Checkpoints.KeyForSigning();
        var at = h.Time.GetUtcNow();
        var checkpoints = Enumerable.Range(1, Rows / CheckpointEvery).Select(i => i * CheckpointEvery)
            .Select(p => new CheckpointFile($"checkpoint-{p}", CheckpointSigning.Sign(signing.Key, p, Convert.ToHexStringLower(log[p - 1].RowHash), heads.OutcomesSeq, Convert.ToHexStringLower(heads.OutcomesHash), at.AddMinutes(p), schema), null))
            .ToList();
        using var key = h.Kernel.Checkpoints.TrustedKey();
        var baseline = await LogIntegrity.VerifyAsync(store, checkpoints, key, null, CancellationToken.None);
        Assert.True(baseline.IsIntact, string.Join("; ", baseline.Findings));

        var random = new Random(seed);
        var positions = new SortedSet<int> { 1, Rows };
        var core = log.Where(r => r.Row.EventType.StartsWith("core.", StringComparison.Ordinal) && r.Row.EventType != "core.SafetyDecisionRecorded").Select(r => (int)r.Row.Position).ToList();
        var safety = log.Where(r => r.Row.EventType == "core.SafetyDecisionRecorded").Select(r => (int)r.Row.Position).ToList();
        while (positions.Count(p => core.Contains(p)) < Math.Min(100, core.Count))
        {
            positions.Add(core[random.Next(core.Count)]);
        }

        while (positions.Count(p => safety.Contains(p)) < Math.Min(30, safety.Count))
        {
            positions.Add(safety[random.Next(safety.Count)]);
        }

        while (positions.Count < positionsWanted + 2)
        {
            positions.Add(random.Next(2, Rows));
        }

        var attacks = Enum.GetValues<Attack>();
        var cases = positions.OrderBy(_ => random.Next()).Select((p, i) => (Position: p, Attack: attacks[i % attacks.Length], Seed: random.Next())).ToList();
        var detected = new Dictionary<Attack, int>();
        var tried = new Dictionary<Attack, int>();
        var unreadable = 0;
        var exceptions = new List<string>();
        var missed = new List<string>();
        var byPosition = log.ToDictionary(r => r.Row.Position);
        var phases = new double[5];
        watch.Restart();
        foreach (var c in cases)
        {
            tried[c.Attack] = tried.GetValueOrDefault(c.Attack) + 1;
            var tampered = Apply(log, c.Attack, c.Position, new Random(c.Seed));
            var (removed, added) = Diff(byPosition, tampered);
            var phase = Stopwatch.StartNew();
            var engine = await target.MutateAsync(removed, added);
            phases[0] += phase.Elapsed.TotalSeconds;
            phase.Restart();
            try
            {
                var report = await LogIntegrity.VerifyAsync(engine.Events, checkpoints, key, null, CancellationToken.None);
                phases[1] += phase.Elapsed.TotalSeconds;
                phase.Restart();
                if (removed.Any(p => IsCore(byPosition[p])) || added.Any(IsCore))
                {
                    // A starting worker opens its writer on the damaged log, folding every core row: it must open, and name the row it cannot read.
                    await using var writer = new LogWriter(engine, h.Time, NullLogger.Instance);
                    if (writer.Damage is { } damage && RowDamage.PositionOf(damage) is null)
                    {
                        exceptions.Add($"{c.Attack} at {c.Position}: the writer's damage names no position");
                    }
                }

                phases[2] += phase.Elapsed.TotalSeconds;
                phase.Restart();
                await LogIntegrity.CheckStartAsync(engine.Events, checkpoints, key, [], CancellationToken.None);
                phases[3] += phase.Elapsed.TotalSeconds;
                if (Located(report, c.Attack, c.Position) is { } problem)
                {
                    missed.Add($"{c.Attack} at {c.Position}: {problem}");
                }
                else
                {
                    detected[c.Attack] = detected.GetValueOrDefault(c.Attack) + 1;
                }

                unreadable += report.Findings.Any(f => f.Problem == IntegrityProblem.RowUnreadable) ? 1 : 0;
            }
            catch (Exception ex)
            {
                exceptions.Add($"{c.Attack} at {c.Position}: {ex.GetType().Name}: {ex.Message}");
            }

            phase.Restart();
            await target.UndoAsync([.. added.Select(r => r.Row.Position)], [.. removed.Select(p => byPosition[p])]);
            phases[4] += phase.Elapsed.TotalSeconds;
        }

        var rowSeconds = watch.Elapsed.TotalSeconds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label}: seconds spent writing the attacks {phases[0]:0.0}, verifying {phases[1]:0.0}, opening the writer {phases[2]:0.0}, start checks {phases[3]:0.0}, undoing {phases[4]:0.0}"));
        watch.Restart();
        var schemaDetected = 0;
        foreach (var (name, attack, undo) in target.SchemaAttacks)
        {
            await target.ExecuteAsync(attack);
            try
            {
                var report = await LogIntegrity.VerifyAsync(store, checkpoints, key, null, CancellationToken.None);
                var start = await LogIntegrity.CheckStartAsync(store, checkpoints, key, [], CancellationToken.None);
                if (report.Findings.Any(f => f.Problem == IntegrityProblem.SchemaAltered) && start.Findings.Any(f => f.Problem == IntegrityProblem.SchemaAltered))
                {
                    schemaDetected++;
                }
                else
                {
                    missed.Add($"schema attack '{name}': not detected ({string.Join("; ", report.Findings.Select(f => f.Code))})");
                }
            }
            catch (Exception ex)
            {
                exceptions.Add($"schema attack '{name}': {ex.GetType().Name}: {ex.Message}");
            }

            if (undo is not null)
            {
                await target.ExecuteAsync(undo);
            }
        }

        var total = detected.Values.Sum();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label}: {cases.Count:N0} row mutations at {positions.Count:N0} positions ({positions.Count(core.Contains)} on core rows, {positions.Count(safety.Contains)} on safety rows): {total:N0} detected and located, {cases.Count - total - exceptions.Count(e => !e.StartsWith("schema", StringComparison.Ordinal)):N0} missed, {exceptions.Count} unhandled exceptions; {unreadable} also reported a row that does not read ({rowSeconds:0.0} s)"));
        foreach (var attack in attacks)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {attack,-12} {detected.GetValueOrDefault(attack),4:N0} / {tried.GetValueOrDefault(attack):N0} detected and located"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label}: {target.SchemaAttacks.Count} schema attacks: {schemaDetected} detected by verify and the start check ({watch.Elapsed.TotalSeconds:0.0} s)"));
        Assert.True(exceptions.Count == 0, $"seed {seed}: {exceptions.Count} unhandled, e.g. " + string.Join(" | ", exceptions.Take(5)));
        Assert.True(missed.Count == 0, $"seed {seed}: {missed.Count} missed or mislocated, e.g. " + string.Join(" | ", missed.Take(5)));
        Assert.Equal(cases.Count, total);
        Assert.Equal(target.SchemaAttacks.Count, schemaDetected);
        Assert.True((await LogIntegrity.VerifyAsync(store, checkpoints, key, null, CancellationToken.None)).Findings.All(f => f.Problem == IntegrityProblem.SchemaAltered), "every row mutation was undone");
    }

    /// <summary>Null when the report names the attack where it was made (the chain finding first); otherwise what is wrong.</summary>
    private static string? Located(IntegrityReport report, Attack attack, int p)
    {
        bool First(IntegrityProblem problem, long position) => report.Findings.Count > 0 && report.Findings[0].Problem == problem && report.Findings[0].Position == position;
        var expected = attack switch
        {
            Attack.BitFlip or Attack.MemberRename or Attack.FieldEdit => First(IntegrityProblem.ChainBroken, p),
            // Deleting the last row shortens the log: only the checkpoint at the head can tell.
            Attack.Delete => p == Rows ? First(IntegrityProblem.Truncated, p) : First(IntegrityProblem.ChainBroken, p),
            // A forged row hashed and linked correctly is valid by itself; the original row after it, now at p + 1, is the first that no longer links.
            Attack.Insert => First(IntegrityProblem.ChainBroken, p + 1),
            Attack.Swap => First(IntegrityProblem.ChainBroken, p == Rows ? p - 1 : p),
            Attack.Truncate => First(IntegrityProblem.Truncated, p),
            // Consistent in itself: only a checkpoint after the edit names it, bracketed between the last that matches and the first that does not.
            Attack.Rechain => report.Chain!.IsValid && report.Findings.Any(f => f.Problem == IntegrityProblem.Rechained && f.From <= p && p <= f.Position),
            _ => false,
        };
        return expected ? null : report.Findings.Count == 0 ? "not detected" : "mislocated: " + string.Join("; ", report.Findings.Select(f => $"{f.Code} at {f.Position}"));
    }

    /// <summary>Positions to delete and rows to insert so that the stored log becomes <paramref name="tampered"/>.</summary>
    private static (IReadOnlyList<long> Removed, IReadOnlyList<StoredRow> Added) Diff(Dictionary<long, StoredRow> original, List<StoredRow> tampered)
    {
        var now = tampered.ToDictionary(r => r.Row.Position);
        var removed = original.Keys.Where(p => !now.TryGetValue(p, out var row) || !Same(row, original[p])).Order().ToList();
        var added = tampered.Where(r => !original.TryGetValue(r.Row.Position, out var before) || !Same(r, before)).ToList();
        return (removed, added);
    }

    private static bool Same(StoredRow a, StoredRow b) =>
        a.Row.Position == b.Row.Position && a.Row.EventId.AsSpan().SequenceEqual(b.Row.EventId) && a.Row.StreamId == b.Row.StreamId && a.Row.StreamVersion == b.Row.StreamVersion
        && a.Row.EventType == b.Row.EventType && a.Row.OccurredAtTicks == b.Row.OccurredAtTicks && a.Row.SourceRef == b.Row.SourceRef && a.Row.SourceSequence == b.Row.SourceSequence
        && a.Row.Envelope.AsSpan().SequenceEqual(b.Row.Envelope) && a.PrevHash.AsSpan().SequenceEqual(b.PrevHash) && a.RowHash.AsSpan().SequenceEqual(b.RowHash);

    private static List<StoredRow> Apply(IReadOnlyList<StoredRow> log, Attack attack, int p, Random random)
    {
        var rows = new List<StoredRow>(log);
        var i = p - 1;
        switch (attack)
        {
            case Attack.BitFlip:
                var envelope = (byte[])rows[i].Row.Envelope.Clone();
                envelope[random.Next(envelope.Length)] ^= (byte)(1 << random.Next(8));
                rows[i] = rows[i] with { Row = rows[i].Row with { Envelope = envelope } };
                break;
            case Attack.MemberRename:
                rows[i] = rows[i] with { Row = rows[i].Row with { Envelope = RenameMember(rows[i].Row.Envelope, random) } };
                break;
            case Attack.FieldEdit:
                var c = rows[i].Row;
                rows[i] = rows[i] with
                {
                    Row = random.Next(6) switch
                    {
                        0 => c with { SourceRef = c.SourceRef + "x" },
                        1 => c with { EventType = "core.Forged" },
                        2 => c with { StreamVersion = c.StreamVersion + 1_000_000 },
                        3 => c with { OccurredAtTicks = c.OccurredAtTicks + 1 },
                        4 => c with { StreamId = "forged-" + p },
                        _ => c with { SourceSequence = (c.SourceSequence ?? 0) + 1 },
                    },
                };
                break;
            case Attack.Delete:
                rows.RemoveAt(i);
                break;
            case Attack.Insert:
                var previous = i == 0 ? LogChain.Genesis : rows[i - 1].RowHash;
                var forged = rows[i].Row with { EventId = RandomNumberGenerator.GetBytes(32), SourceRef = "forged", StreamId = "forged-" + p };
                for (var j = i; j < rows.Count; j++)
                {
                    rows[j] = rows[j] with { Row = rows[j].Row with { Position = rows[j].Row.Position + 1 } };
                }

                rows.Insert(i, new StoredRow(forged, previous, LogChain.RowHash(previous, forged)));
                break;
            case Attack.Swap:
                var k = p == log.Count ? i - 1 : i + 1;
                (rows[i], rows[k]) = (Moved(rows[k], rows[i].Row.Position), Moved(rows[i], rows[k].Row.Position));
                break;
            case Attack.Truncate:
                rows.RemoveRange(i, rows.Count - i);
                break;
            case Attack.Rechain:
                var hash = i == 0 ? LogChain.Genesis : rows[i - 1].RowHash;
                rows[i] = rows[i] with { Row = rows[i].Row with { SourceRef = "forged" } };
                for (var j = i; j < rows.Count; j++)
                {
                    var next = LogChain.RowHash(hash, rows[j].Row);
                    rows[j] = new StoredRow(rows[j].Row, hash, next);
                    hash = next;
                }

                break;
        }

        return rows;
    }

    /// <summary>One letter of a randomly chosen member name changed (the envelope's own or its payload's).</summary>
    private static byte[] RenameMember(byte[] envelope, Random random)
    {
        var text = Encoding.UTF8.GetString(envelope);
        var names = new List<int>();
        for (var at = text.IndexOf("\":", StringComparison.Ordinal); at > 0; at = text.IndexOf("\":", at + 2, StringComparison.Ordinal))
        {
            names.Add(at - 1);
        }

        var last = names[random.Next(names.Count)];
        var chars = text.ToCharArray();
        chars[last] = chars[last] == 'q' ? 'z' : 'q';
        return Encoding.UTF8.GetBytes(chars);
    }

    private static bool IsCore(StoredRow row) => row.Row.EventType.StartsWith("core.", StringComparison.Ordinal);

    private static StoredRow Moved(StoredRow row, long position) => row with { Row = row.Row with { Position = position } };
}
