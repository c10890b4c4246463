using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Ops.Core.Log;
using Ops.Core.Log.Checkpoints;
using Ops.Core.Log.Integrity;
using Ops.Testing;
using Xunit.Abstractions;

namespace Ops.Core.Tests;

/// <summary>
/// Issue 7 item 5, the tamper matrix: on a 10,000-row log written by the kernel, at 1,000 seeded random
/// positions plus the first and the last, seven attacks (bit flip, field edit, delete, insert, swap,
/// truncation, a full re-chain after the edit) must all be detected and located.
/// <para>
/// How it stays fast, and why that is the same check as <c>log verify</c>: the log's rows are read once
/// from the database; each attack is applied to a copy of those rows in memory, and the copy is checked
/// by the code <c>log verify</c> runs, <see cref="ChainScanner"/> for the chain and
/// <see cref="LogIntegrity.Compose"/> for the checkpoints (the database verify only adds reading the rows,
/// which the attacker-side tests in <see cref="CheckpointTests"/> and <see cref="AppendOnlyStatementTests"/>
/// cover on the real file). The chain scan is a left-to-right fold whose only state is (next position,
/// previous hash); every attack at position p leaves rows 1..p-2 byte for byte as in the untouched log,
/// which is verified in full once, so the scan resumes at row p-1 from that log's state and returns what
/// a scan from row 1 would. The test shows it too: for the first, the last and 20 random positions, every
/// attack is also scanned from row 1 and must give the same findings. Attacks run in parallel.
/// </para>
/// </summary>
public sealed class TamperMatrixTests(ITestOutputHelper output)
{
    private const int Rows = 10_000;
    private const int RandomPositions = 1_000;
    private const int CheckpointEvery = 1_000;
    private const int EquivalenceSample = 20;

    private enum Attack
    {
        BitFlip,
        FieldEdit,
        Delete,
        Insert,
        Swap,
        Truncate,
        Rechain,
    }

    [Fact]
    public async Task TamperMatrix_SevenAttacks_AtOneThousandAndTwoPositions_AllDetectedAndLocated()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("OPS_TAMPER_SEED"), CultureInfo.InvariantCulture, out var given) ? given : 20_261_201;
        output.WriteLine($"seed {seed} (rerun with OPS_TAMPER_SEED={seed})");
        var watch = Stopwatch.StartNew();
        var log = await BuildLogAsync();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"log of {log.Count:N0} rows written and read back in {watch.Elapsed.TotalSeconds:0.0} s"));

        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var publicKey = Convert.ToBase64String(signer.ExportSubjectPublicKeyInfo());
        var at = DateTimeOffset.Parse("2026-12-01T00:00:00Z", CultureInfo.InvariantCulture);
        var checkpoints = Enumerable.Range(1, Rows / CheckpointEvery)
            .Select(i => i * CheckpointEvery)
            .Select(p => new CheckpointFile($"checkpoint-{p}", CheckpointSigning.Sign(signer, p, Convert.ToHexStringLower(log[p - 1].Hash), 0, new string('0', 64), at.AddMinutes(p)), null))
            .ToList();

        using (var key = TrustedCheckpointKey.Parse(publicKey))
        {
            var baseline = Check(log, 1, checkpoints, key);
            Assert.True(baseline.IsIntact, string.Join("; ", baseline.Findings));
        }

        var random = new Random(seed);
        var positions = new SortedSet<int> { 1, Rows };
        while (positions.Count < RandomPositions + 2)
        {
            positions.Add(random.Next(2, Rows));
        }

        var cases = positions.SelectMany(p => Enum.GetValues<Attack>().Select(a => (Position: p, Attack: a, Seed: random.Next()))).ToArray();
        var sample = new HashSet<int>(positions.OrderBy(_ => random.Next()).Where(p => p is not 1 and not Rows).Take(EquivalenceSample)) { 1, Rows };
        var detected = new ConcurrentDictionary<Attack, int>();
        var missed = new ConcurrentBag<string>();
        watch.Restart();
        Parallel.ForEach(
            cases,
            () => TrustedCheckpointKey.Parse(publicKey),
            (c, _, key) =>
            {
                var tampered = Apply(log, c.Attack, c.Position, new Random(c.Seed));
                var report = Check(tampered, Math.Max(1, c.Position - 1), checkpoints, key);
                var problem = Located(report, c.Attack, c.Position);
                if (problem is null)
                {
                    detected.AddOrUpdate(c.Attack, 1, (_, n) => n + 1);
                }
                else
                {
                    missed.Add($"{c.Attack} at {c.Position}: {problem}");
                }

                if (sample.Contains(c.Position))
                {
                    var full = Check(tampered, 1, checkpoints, key);
                    if (!full.Findings.SequenceEqual(report.Findings))
                    {
                        missed.Add($"{c.Attack} at {c.Position}: the scan from row 1 found [{string.Join("; ", full.Findings)}], the resumed scan [{string.Join("; ", report.Findings)}]");
                    }
                }

                return key;
            },
            key => key.Dispose());

        var total = detected.Values.Sum();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Enum.GetValues<Attack>().Length} attacks × {positions.Count:N0} positions, {total:N0} detected, {cases.Length - total:N0} missed ({watch.Elapsed.TotalSeconds:0.0} s, {Environment.ProcessorCount} cores)"));
        foreach (var attack in Enum.GetValues<Attack>())
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {attack,-9} {detected.GetValueOrDefault(attack),5:N0} / {positions.Count:N0} detected and located"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  resumed scans equal scans from row 1 at {sample.Count} positions × {Enum.GetValues<Attack>().Length} attacks"));
        Assert.True(missed.IsEmpty, $"seed {seed}: {missed.Count} missed or mislocated, e.g. " + string.Join(" | ", missed.Take(5)));
        Assert.Equal(cases.Length, total);
    }

    /// <summary>Null when the report names the attack where it was made; otherwise what is wrong with it.</summary>
    private static string? Located(IntegrityReport report, Attack attack, int p)
    {
        bool Has(IntegrityProblem problem, long position) => report.Findings.Any(f => f.Problem == problem && f.Position == position);
        var expected = attack switch
        {
            Attack.BitFlip or Attack.FieldEdit => Has(IntegrityProblem.ChainBroken, p),
            // Deleting the last row shortens the log: only the checkpoint can tell.
            Attack.Delete => p == Rows ? Has(IntegrityProblem.Truncated, p) : Has(IntegrityProblem.ChainBroken, p),
            // A forged row hashed and linked correctly is valid by itself; the original row after it, now at
            // p + 1, is the first that no longer links.
            Attack.Insert => Has(IntegrityProblem.ChainBroken, p + 1),
            Attack.Swap => Has(IntegrityProblem.ChainBroken, p == Rows ? p - 1 : p),
            Attack.Truncate => Has(IntegrityProblem.Truncated, p),
            // Consistent in itself: only the checkpoint names it, bracketed between the last checkpoint that
            // still matches and the first that does not.
            Attack.Rechain => report.Chain!.IsValid && report.Findings.Any(f => f.Problem == IntegrityProblem.Rechained && f.From <= p && p <= f.Position),
            _ => false,
        };
        return expected ? null : report.Findings.Count == 0 ? "not detected" : "mislocated: " + string.Join("; ", report.Findings.Select(f => $"{f.Code} at {f.Position}"));
    }

    private static IntegrityReport Check(IReadOnlyList<Row> log, int from, IReadOnlyList<CheckpointFile> checkpoints, TrustedCheckpointKey key)
    {
        // Rows before `from` are those of the untouched log; its state there is the scan's start state.
        var scanner = from == 1 ? new ChainScanner() : new ChainScanner(from, log[from - 2].Hash);
        for (var i = from - 1; i < log.Count && scanner.Step(log[i].Chain, log[i].Prev, log[i].Hash); i++)
        {
        }

        var head = log.Count == 0 ? 0 : log[^1].Chain.Position;
        return LogIntegrity.Compose(scanner.Result(), null, head, 0, checkpoints, key, position => HashAt(log, position), _ => null);
    }

    private static byte[]? HashAt(IReadOnlyList<Row> log, long position)
    {
        // Positions are ascending; a deleted or inserted row moves the index by one at most.
        var guess = (int)Math.Clamp(position - 1, 0, log.Count - 1);
        for (var i = Math.Max(0, guess - 1); i <= Math.Min(log.Count - 1, guess + 1); i++)
        {
            if (log[i].Chain.Position == position)
            {
                return log[i].Hash;
            }
        }

        return null;
    }

    private static List<Row> Apply(IReadOnlyList<Row> log, Attack attack, int p, Random random)
    {
        var rows = new List<Row>(log);
        var i = p - 1;
        switch (attack)
        {
            case Attack.BitFlip:
                var envelope = (byte[])rows[i].Chain.Envelope.Clone();
                envelope[random.Next(envelope.Length)] ^= (byte)(1 << random.Next(8));
                rows[i] = rows[i] with { Chain = rows[i].Chain with { Envelope = envelope } };
                break;
            case Attack.FieldEdit:
                var c = rows[i].Chain;
                rows[i] = rows[i] with
                {
                    Chain = random.Next(6) switch
                    {
                        0 => c with { SourceRef = c.SourceRef + "x" },
                        1 => c with { EventType = "core.Forged" },
                        2 => c with { StreamVersion = c.StreamVersion + 1 },
                        3 => c with { OccurredAtTicks = c.OccurredAtTicks + 1 },
                        4 => c with { StreamId = "forged" },
                        _ => c with { SourceSequence = (c.SourceSequence ?? 0) + 1 },
                    },
                };
                break;
            case Attack.Delete:
                rows.RemoveAt(i);
                break;
            case Attack.Insert:
                var previous = i == 0 ? LogChain.Genesis : rows[i - 1].Hash;
                var forged = rows[i].Chain with { EventId = RandomNumberGenerator.GetBytes(32), SourceRef = "forged" };
                for (var j = i; j < rows.Count; j++)
                {
                    rows[j] = rows[j] with { Chain = rows[j].Chain with { Position = rows[j].Chain.Position + 1 } };
                }

                rows.Insert(i, new Row(forged, previous, LogChain.RowHash(previous, forged)));
                break;
            case Attack.Swap:
                var k = p == log.Count ? i - 1 : i + 1;
                (rows[i], rows[k]) = (Moved(rows[k], rows[i].Chain.Position), Moved(rows[i], rows[k].Chain.Position));
                break;
            case Attack.Truncate:
                rows.RemoveRange(i, rows.Count - i);
                break;
            case Attack.Rechain:
                var hash = i == 0 ? LogChain.Genesis : rows[i - 1].Hash;
                rows[i] = rows[i] with { Chain = rows[i].Chain with { SourceRef = "forged" } };
                for (var j = i; j < rows.Count; j++)
                {
                    var next = LogChain.RowHash(hash, rows[j].Chain);
                    rows[j] = new Row(rows[j].Chain, hash, next);
                    hash = next;
                }

                break;
        }

        return rows;
    }

    private static Row Moved(Row row, long position) => row with { Chain = row.Chain with { Position = position } };

    /// <summary>10,000 rows appended through the kernel's writer, read back with their stored hashes.</summary>
    private static async Task<List<Row>> BuildLogAsync()
    {
        await using var h = await KernelHarness.StartAsync();
        var t = h.Time.GetUtcNow();
        var head = (int)await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);
        for (var done = head; done < Rows;)
        {
            var n = Math.Min(100, Rows - done);
            var drafts = Enumerable.Range(done, n).Select(k => TestEvents.Draft("m" + k, new { k, note = "tamper matrix row" }, t.AddMilliseconds(k), sequence: k % 3 == 0 ? null : k)).ToList();
            await h.Kernel.Writer.ExecuteAsync((s, ct) => s.AppendAsync("matrix-" + done, null, drafts, ct), CancellationToken.None);
            done += n;
        }

        var rows = new List<Row>(Rows);
        await using var connection = new SqliteConnection($"Data Source={h.DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM events ORDER BY position";
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new Row(
                new ChainRow(reader.GetInt64(0), (byte[])reader.GetValue(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4), reader.GetInt64(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetInt64(7), (byte[])reader.GetValue(8)),
                (byte[])reader.GetValue(9),
                (byte[])reader.GetValue(10)));
        }

        Assert.Equal(Rows, rows.Count);
        return rows;
    }

    private sealed record Row(ChainRow Chain, byte[] Prev, byte[] Hash);
}
