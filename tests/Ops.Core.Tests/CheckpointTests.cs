using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Log;
using Ops.Core.Log.Checkpoints;
using Ops.Core.Log.Integrity;
using Ops.Testing;

namespace Ops.Core.Tests;

/// <summary>
/// Issue 7 item 5, attacker first: the database file is edited behind the kernel's back (triggers
/// dropped, rows deleted, the chain recomputed), and verify, held against checkpoints signed with a key
/// kept outside the database, names what was done and where.
/// </summary>
public sealed class CheckpointTests
{
    private static async Task AppendAsync(KernelHarness h, int count)
    {
        var t = h.Time.GetUtcNow();
        for (var i = 0; i < count; i++)
        {
            var draft = TestEvents.Draft(Guid.NewGuid().ToString("N"), new { i }, t.AddSeconds(i));
            await h.Kernel.Writer.ExecuteAsync((s, ct) => s.AppendAsync("s-" + i, null, [draft], ct), CancellationToken.None);
        }
    }

    // The attacker covers their tracks: the triggers are recreated exactly as they were (issue 20 made a dropped one a finding of its own).
    private static Task AttackAsync(KernelHarness h, string sql) => VerifierDamageTests.TamperKeepingSchemaAsync(h.DatabasePath, sql);

    private static async Task<IntegrityReport> VerifyAsync(KernelHarness h)
    {
        using var key = h.Kernel.Checkpoints.TrustedKey();
        return await LogIntegrity.VerifyAsync(h.Kernel.EventLog.Store, h.Kernel.Checkpoints.ReadCheckpoints(), key, null, CancellationToken.None);
    }

    [Fact]
    public async Task Sign_WritesAFileAndAnEvent_AndVerifyIsIntact()
    {
        await using var h = await KernelHarness.StartAsync();
        await AppendAsync(h, 5);
        var head = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);

        var signed = (await h.Kernel.Checkpoints.SignAsync(false, null, CancellationToken.None))!;

        Assert.Equal(head, signed.Checkpoint.Position);
        Assert.True(File.Exists(signed.Path));
        var recorded = (await h.Kernel.EventLog.ReadStreamAsync(CheckpointEventTypes.Stream, CancellationToken.None)).Single();
        Assert.Equal(head + 1, recorded.Position);
        Assert.Equal(signed.Checkpoint, recorded.Envelope.PayloadAs<CheckpointSigned>());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(h.Kernel.Checkpoints.KeyFile));
        }

        var report = await VerifyAsync(h);
        Assert.True(report.IsIntact, string.Join("; ", report.Findings));
        Assert.Single(report.TrustedCheckpoints);
        Assert.Null(await h.Kernel.Checkpoints.SignAsync(skipWhenUnchanged: true, null, CancellationToken.None));
    }

    [Fact]
    public async Task Verify_TruncatedTail_NamesTheFirstMissingPosition_AndTheStartCheckRefuses()
    {
        await using var h = await KernelHarness.StartAsync();
        await AppendAsync(h, 20);
        var signed = (await h.Kernel.Checkpoints.SignAsync(false, null, CancellationToken.None))!.Checkpoint;
        Assert.True((await VerifyAsync(h)).IsIntact);

        await AttackAsync(h, "DELETE FROM events WHERE position > 15");
        var report = await VerifyAsync(h);

        var finding = Assert.Single(report.Findings);
        Assert.Equal(IntegrityProblem.Truncated, finding.Problem);
        Assert.Equal(16, finding.Position);
        Assert.Contains($"covers position {signed.Position}", finding.Message, StringComparison.Ordinal);
        Assert.True(report.Chain!.IsValid);
        var start = await LogIntegrity.CheckStartAsync(h.Kernel, CancellationToken.None);
        Assert.Equal(IntegrityProblem.Truncated, Assert.Single(start.Findings).Problem);
    }

    [Fact]
    public async Task Verify_RewrittenAndRechainedHistory_IsNamedAtTheCheckpoint_WithTheRangeOfTheRewrite()
    {
        await using var h = await KernelHarness.StartAsync();
        await AppendAsync(h, 10);
        var first = (await h.Kernel.Checkpoints.SignAsync(false, null, CancellationToken.None))!.Checkpoint;
        await AppendAsync(h, 10);
        var second = (await h.Kernel.Checkpoints.SignAsync(false, null, CancellationToken.None))!.Checkpoint;
        var edited = first.Position + 3;

        // The attacker edits one row and recomputes every hash after it: the chain is consistent in itself.
        await RechainFromAsync(h, edited);
        var report = await VerifyAsync(h);

        Assert.True(report.Chain!.IsValid);
        var finding = Assert.Single(report.Findings);
        Assert.Equal(IntegrityProblem.Rechained, finding.Problem);
        Assert.Equal(second.Position, finding.Position);
        Assert.Equal(first.Position + 1, finding.From);
        Assert.InRange(edited, finding.From!.Value, finding.Position!.Value);
        Assert.Equal(IntegrityProblem.Rechained, Assert.Single((await LogIntegrity.CheckStartAsync(h.Kernel, CancellationToken.None)).Findings).Problem);
    }

    [Fact]
    public async Task Verify_ForgedOrEditedCheckpoint_IsRefusedForItsSignature()
    {
        await using var h = await KernelHarness.StartAsync();
        await AppendAsync(h, 3);
        var signed = (await h.Kernel.Checkpoints.SignAsync(false, null, CancellationToken.None))!;
        var folder = h.Kernel.Checkpoints.Directory!;

        // An edited checkpoint (a later position, so the log would look truncated) and one signed by another key.
        var edited = signed.Checkpoint with { Position = 1_000 };
        await File.WriteAllBytesAsync(Path.Combine(folder, "checkpoint-000000001000-edited.json"), CheckpointStore.Serialize(edited));
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = CheckpointSigning.Sign(other, 2_000, new string('0', 64), 0, new string('0', 64), h.Time.GetUtcNow());
        await File.WriteAllBytesAsync(Path.Combine(folder, "checkpoint-000000002000-forged.json"), CheckpointStore.Serialize(forged));
        await File.WriteAllTextAsync(Path.Combine(folder, "checkpoint-000000003000-junk.json"), "{not json");

        var report = await VerifyAsync(h);

        Assert.Equal(
            [IntegrityProblem.CheckpointUnreadable, IntegrityProblem.CheckpointSignatureInvalid, IntegrityProblem.CheckpointSignatureInvalid],
            report.Findings.Select(f => f.Problem).Order().ToArray());
        Assert.Contains(report.Findings, f => f.Position == 1_000 && f.Message.Contains("does not verify", StringComparison.Ordinal));
        Assert.Contains(report.Findings, f => f.Position == 2_000 && f.Message.Contains("not the trusted checkpoint key", StringComparison.Ordinal));
        // Forged checkpoints are not trusted facts: they cannot stop the worker, and the real one still holds.
        Assert.True((await LogIntegrity.CheckStartAsync(h.Kernel, CancellationToken.None)).IsIntact);
    }

    [Fact]
    public async Task Verify_EditedOrTruncatedCommandOutcomes_AreNamedBySeq()
    {
        await using var h = await KernelHarness.StartAsync();
        for (var i = 0; i < 4; i++)
        {
            Assert.True((await h.SendAsync("core.RegisterActor", $"actor-a{i}", new Capabilities.RegisterActor($"a{i}", ActorKind.Human, "A"))).IsAccepted);
        }

        await h.Kernel.Checkpoints.SignAsync(false, null, CancellationToken.None);
        await AttackAsync(h, "UPDATE command_outcomes SET status = 'rejected' WHERE seq = 2");
        var edited = await VerifyAsync(h);
        Assert.Equal(IntegrityProblem.OutcomesBroken, Assert.Single(edited.Findings).Problem);
        Assert.Equal(2, edited.Findings[0].Position);

        await AttackAsync(h, "DELETE FROM command_outcomes WHERE seq >= 2");
        var truncated = await VerifyAsync(h);
        var finding = Assert.Single(truncated.Findings);
        Assert.Equal(IntegrityProblem.OutcomesTruncated, finding.Problem);
        Assert.Equal(2, finding.Position);
    }

    [Fact]
    public async Task StartCheck_ProjectionAheadOfTheLog_IsRefused()
    {
        await using var h = await KernelHarness.StartAsync();
        var head = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);
        await AttackAsync(h, $"INSERT INTO projection_checkpoints (projection, version, position, updated_at) VALUES ('pack.x.y', 1, {head + 7}, 0)");

        var report = await LogIntegrity.CheckStartAsync(h.Kernel, CancellationToken.None);

        var finding = Assert.Single(report.Findings);
        Assert.Equal(IntegrityProblem.ProjectionAhead, finding.Problem);
        Assert.Contains("pack.x.y", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyFileMissing_WhileCheckpointsOfItExist_NoNewKeyIsMinted_AndTheStartIsRefused()
    {
        await using var h = await KernelHarness.StartAsync();
        await h.Kernel.Checkpoints.SignAsync(false, null, CancellationToken.None);
        File.Delete(h.Kernel.Checkpoints.KeyFile);

        var error = await Assert.ThrowsAsync<OpsException>(() => h.Kernel.Checkpoints.SignAsync(false, null, CancellationToken.None));

        Assert.Equal(ReasonCodes.IntegrityViolation, error.Code);
        Assert.False(File.Exists(h.Kernel.Checkpoints.KeyFile));
        Assert.Equal(IntegrityProblem.NoTrustedKey, Assert.Single((await LogIntegrity.CheckStartAsync(h.Kernel, CancellationToken.None)).Findings).Problem);
    }

    [Fact]
    public async Task Export_FromPosition1OrACheckpoint_Verifies_PartialCutOrFabricatedExports_AreRefused()
    {
        await using var h = await KernelHarness.StartAsync();
        await AppendAsync(h, 6);
        var middle = (await h.Kernel.Checkpoints.SignAsync(false, null, CancellationToken.None))!.Checkpoint;
        await AppendAsync(h, 6);
        var end = (await h.Kernel.Checkpoints.SignAsync(false, null, CancellationToken.None))!.Checkpoint;
        using var key = h.Kernel.Checkpoints.TrustedKey();
        async Task<string> ExportAsync(CheckpointSigned? from, CheckpointSigned to)
        {
            var text = new StringWriter();
            await ChainExport.ExportAsync(h.Kernel.EventLog.Store, text, from, to, CancellationToken.None);
            return text.ToString();
        }

        Task<IntegrityReport> Verify(string text, TrustedCheckpointKey? with = null) => ChainExport.VerifyAsync(new StringReader(text), with ?? key, CancellationToken.None);
        var full = await ExportAsync(null, end);
        var tail = await ExportAsync(middle, end);
        var lines = full.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.True((await Verify(full)).IsIntact);
        Assert.True((await Verify(tail)).IsIntact);
        Assert.Equal(end.Position - middle.Position, (await Verify(tail)).Chain!.RowsChecked);
        // Rows 3.. without an opening checkpoint: partial.
        Assert.Equal(IntegrityProblem.ExportUnanchored, Single(await Verify(string.Join('\n', lines[2..]))));
        // The last row and its seal cut off, or just the seal: not sealed.
        Assert.Equal(IntegrityProblem.ExportUnsealed, Single(await Verify(string.Join('\n', lines[..^2]))));
        Assert.Equal(IntegrityProblem.ExportUnsealed, Single(await Verify(string.Join('\n', lines[..^2].Append(lines[^1])))));
        // A seal followed by more rows.
        Assert.Equal(IntegrityProblem.ExportMalformed, Single(await Verify(full + lines[3])));
        // A complete, consistent export sealed by someone else's key.
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var fabricated = string.Join('\n', lines[..^1].Append(CheckpointLine(CheckpointSigning.Sign(other, end.Position, end.RowHash, 0, new string('0', 64), end.SignedAt))));
        Assert.Equal(IntegrityProblem.CheckpointSignatureInvalid, Single(await Verify(fabricated)));
        // And the right export checked against no key at all.
        Assert.Equal(IntegrityProblem.NoTrustedKey, Single(await ChainExport.VerifyAsync(new StringReader(full), null, CancellationToken.None)));
    }

    private static IntegrityProblem Single(IntegrityReport report) => Assert.Single(report.Findings).Problem;

    private static string CheckpointLine(CheckpointSigned checkpoint) =>
        "{\"checkpoint\":" + Encoding.UTF8.GetString(CheckpointStore.Serialize(checkpoint)) + "}";

    /// <summary>Edits the row at <paramref name="position"/> and recomputes every hash from there to the head, as a careful attacker would.</summary>
    internal static async Task RechainFromAsync(KernelHarness h, long position)
    {
        await AttackAsync(h, $"UPDATE events SET source_ref = 'forged' WHERE position = {position}");
        await using var connection = new SqliteConnection($"Data Source={h.DatabasePath};Pooling=False");
        await connection.OpenAsync();
        var rows = new List<(ChainRow Row, byte[] Prev)>();
        await using (var read = connection.CreateCommand())
        {
            read.CommandText = $"SELECT position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope FROM events WHERE position >= {position - 1} ORDER BY position";
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add((new ChainRow(reader.GetInt64(0), (byte[])reader.GetValue(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4), reader.GetInt64(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetInt64(7), (byte[])reader.GetValue(8)), []));
            }
        }

        await using var hashOf = connection.CreateCommand();
        hashOf.CommandText = $"SELECT row_hash FROM events WHERE position = {position - 1}";
        var previous = position == 1 ? LogChain.Genesis : (byte[])(await hashOf.ExecuteScalarAsync())!;
        await VerifierDamageTests.WithTriggersDroppedAsync(h.DatabasePath, async tampering =>
        {
            await using var write = tampering.CreateCommand();
            write.CommandText = "UPDATE events SET prev_hash = $p, row_hash = $h WHERE position = $at";
            var p = write.Parameters.Add("$p", SqliteType.Blob);
            var hh = write.Parameters.Add("$h", SqliteType.Blob);
            var at = write.Parameters.Add("$at", SqliteType.Integer);
            foreach (var (row, _) in rows.Where(r => r.Row.Position >= position))
            {
                var hash = LogChain.RowHash(previous, row);
                (p.Value, hh.Value, at.Value) = (previous, hash, row.Position);
                await write.ExecuteNonQueryAsync();
                previous = hash;
            }
        });
    }
}
