using System.CommandLine;
using System.Globalization;
using System.Text;
using Ops.Core.Errors;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Core.Log.Integrity;

namespace Ops.Host.Cli;

/// <summary>
/// <c>log tail|export|verify|checkpoint</c> (issue 7 item 5): read the log, export it in the one chain
/// format sealed by a signed checkpoint, verify it (in the database or an export) against the signed
/// checkpoints kept outside the database, and sign checkpoints. Every problem verify finds is printed
/// as a fact with its code and position; nothing is repaired. Exit 1 when anything is wrong.
/// </summary>
internal static class LogCli
{
    public static Command Create(TextWriter output, TextWriter error, Func<TextWriter, Func<OpsSession, Task<int>>, Task<int>> withKernel)
    {
        var count = CliValues.Number("--count", "How many of the latest events, 1 to 10,000.", 1, 10_000, 20, "-n");
        var tail = new Command("tail", "Print the latest events, one line each.") { count };
        tail.SetAction((parse, ct) => withKernel(error, async kernel =>
        {
            var head = await kernel.Log.HeadPositionAsync(ct);
            var n = parse.GetValue(count);
            foreach (var e in await CliLists.OrNoneAsync(output, await kernel.Log.ReadAsync(Math.Max(0, head - n), n, ct), "the log is empty"))
            {
                var v = e.Envelope;
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{e.Position,8}  {OpsJson.FormatInstant(v.OccurredAt)}  {v.EventType,-40} {v.StreamId}  actor={v.Actor.Id}  id={v.EventId[..12]}"));
            }

            return 0;
        }));

        var format = new Option<string>("--format") { Description = "Export format; jsonl (the chain format) is the one supported.", DefaultValueFactory = _ => "jsonl" };
        format.AcceptOnlyFromAmong("jsonl");
        var file = new Option<string?>("--out") { Description = "Write to this file instead of standard output." };
        var from = CliValues.LongNumber("--from", "First position to export: 1, or one past a signed checkpoint in the checkpoint folder (the export then opens with that checkpoint).", 1, 1);
        var export = new Command("export", "Export the log as JSON Lines carrying the hash chain, sealed by a new signed checkpoint of its last row; verify it anywhere with 'log verify --file'.") { format, file, from };
        export.SetAction((parse, ct) => withKernel(error, kernel => ExportAsync(kernel, parse.GetValue(file), parse.GetValue(from), output, error, ct)));

        var exportFile = new Option<FileInfo?>("--file") { Description = "Verify an export (log export / audit export) offline, without the database." };
        var checkpointsDir = new Option<string?>("--checkpoints") { Description = "Folder of checkpoint files to check the log against (default: Ops:Checkpoints:Directory, ./checkpoints)." };
        var checkpointKey = new Option<string?>("--checkpoint-key") { Description = "The trusted checkpoint public keys, comma-separated (several workers may each sign with their own): base64 SubjectPublicKeyInfo or PEM files (default: the public half of Ops:Checkpoints:KeyFile and Ops:Checkpoints:TrustedKeys)." };
        var verify = new Command("verify", "Recompute the hash chain from position 1 and the command outcome chain from seq 1, and check both against the signed checkpoints: names a truncated tail, a re-chained or rewritten history, and a checkpoint with a bad signature, with where. Exit 1 when anything is wrong.") { exportFile, checkpointsDir, checkpointKey };
        verify.SetAction(async (parse, ct) =>
        {
            try
            {
                if (parse.GetValue(exportFile) is { } exported)
                {
                    using var reader = new StreamReader(exported.FullName);
                    return await ReportAsync(await OpsAdministration.VerifyExportAsync(reader, parse.GetValue(checkpointKey), HostComposition.BuildConfiguration(), Directory.GetCurrentDirectory(), ct), output, "export " + exported.Name);
                }

                return await withKernel(error, async kernel =>
                {
                    var progress = new LineProgress(n => error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  checked {n:N0} rows...")));
                    return await ReportAsync(await kernel.Admin.VerifyLogAsync(parse.GetValue(checkpointsDir), parse.GetValue(checkpointKey), progress, ct), output, "log");
                });
            }
            catch (Exception ex) when (ex is OpsException or IOException)
            {
                return await CliErrors.ReportAsync(error, ex);
            }
        });

        var showKey = new Option<bool>("--show-key") { Description = "Print the checkpoint key's id and public key (creating the key on first use) instead of signing, so checkpoints can be verified elsewhere." };
        var checkpoint = new Command("checkpoint", "Sign a checkpoint of the log's committed head with the checkpoint key (kept outside the database), write it to the checkpoint folder (or standard output when Ops:Checkpoints:Directory is '-') and record it as core.CheckpointSigned.") { showKey };
        checkpoint.SetAction((parse, ct) => withKernel(error, async kernel =>
        {
            if (parse.GetValue(showKey))
            {
                var key = kernel.Admin.CheckpointSigningKey();
                await output.WriteLineAsync($"key_id: {key.KeyId}");
                await output.WriteLineAsync($"public_key: {key.PublicKey}");
                await output.WriteLineAsync($"key file: {key.Path} (private; keep a copy off this machine)");
                await output.WriteLineAsync("Verify elsewhere with: log verify --checkpoint-key <public_key> [--file <export>]");
                return 0;
            }

            var signed = await kernel.Admin.SignCheckpointAsync(output, ct);
            var c = signed.Checkpoint;
            var report = signed.Path is null ? error : output;
            await report.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Checkpoint signed: position {c.Position}, row_hash {c.RowHash}, outcomes seq {c.OutcomesSeq}, key {c.KeyId}, at {OpsJson.FormatInstant(c.SignedAt)}."));
            await report.WriteLineAsync(signed.Path is null ? "Written to standard output; recorded as core.CheckpointSigned." : $"Written to {signed.Path}; recorded as core.CheckpointSigned. Ship the checkpoint folder off this machine to anchor the log there.");
            return 0;
        }));

        return new Command("log", "Read, export, verify and checkpoint the append-only log.") { tail, export, verify, checkpoint };
    }

    /// <summary>
    /// The export of <c>log export</c> and <c>audit export</c>: rows from <paramref name="from"/> (1, or one past a
    /// signed checkpoint) to the head, sealed by a checkpoint signed now over the last row.
    /// </summary>
    public static async Task<int> ExportAsync(OpsSession kernel, string? path, long from, TextWriter output, TextWriter error, CancellationToken ct)
    {
        OpsExport export;
        if (path is null)
        {
            export = await kernel.Admin.ExportAsync(output, from, error, ct);
        }
        else
        {
            await using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
            export = await kernel.Admin.ExportAsync(writer, from, output, ct);
        }

        if (path is not null)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Exported {export.Rows} rows (positions {export.FirstPosition}..{export.Checkpoint.Position}) with their chain to {path}, sealed by the checkpoint of position {export.Checkpoint.Position} (key {export.Checkpoint.KeyId})."));
        }

        return 0;
    }

    private static async Task<int> ReportAsync(IntegrityReport report, TextWriter output, string what)
    {
        var chain = report.Chain!;
        foreach (var finding in report.Findings)
        {
            await output.WriteLineAsync(finding.Position is { } at
                ? string.Create(CultureInfo.InvariantCulture, $"BROKEN at position {at} ({finding.Code}): {finding.Message}.")
                : $"BROKEN ({finding.Code}): {finding.Message}.");
        }

        if (report.Findings.Any(f => f.Problem == IntegrityProblem.ChainBroken))
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  The chain verified up to position {chain.FirstBrokenPosition - 1} (last good hash {chain.HeadHash})."));
        }

        if (report.IsIntact)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"OK: {chain.RowsChecked} events, chain intact. Head position {chain.HeadPosition}, head hash {chain.HeadHash}."));
            if (report.Outcomes is { } outcomes)
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"OK: {outcomes.RowsChecked} command outcomes, chain intact (seq {outcomes.HeadSeq})."));
            }

            if (report.Latest is { } latest)
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"OK: the {what} matches all {report.TrustedCheckpoints.Count} signed checkpoint(s) of key {latest.KeyId} (latest: position {latest.Position}, signed {OpsJson.FormatInstant(latest.SignedAt)})."));
            }
        }

        foreach (var note in report.Notes)
        {
            await output.WriteLineAsync("Note: " + note);
        }

        if (!report.IsIntact)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{report.Findings.Count} problem(s) found in the {what}; nothing was repaired or changed. See docs/operations.md, 'When verify fails'."));
            return 1;
        }

        return 0;
    }

    /// <summary>Reports on the calling thread, so progress lines come before the result line.</summary>
    private sealed class LineProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
