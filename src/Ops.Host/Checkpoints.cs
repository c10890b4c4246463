using Ops.Core.Hosting;
using Ops.Core.Log.Checkpoints;
using Ops.Core.Log.Integrity;

namespace Ops.Host;

/// <summary>
/// Signs a checkpoint every <c>Ops:Checkpoints:IntervalSeconds</c> when the log has moved since the last
/// one (time through the kernel's TimeProvider), and once more when the worker stops, so a truncation
/// while it is down is found at the next start.
/// </summary>
internal sealed class CheckpointScheduler(OpsKernel kernel, ILogger<CheckpointScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = kernel.Checkpoints.Options.IntervalSeconds;
        if (interval == 0)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(interval), kernel.Time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await TickAsync(stoppingToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (kernel.Checkpoints.Options.IntervalSeconds > 0)
        {
            await TickAsync(cancellationToken);
        }
    }

    /// <summary>One scheduled attempt: signs when the log moved since the last checkpoint; null when it did not (or signing failed, which is logged).</summary>
    public async Task<SignedCheckpointResult?> TickAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await kernel.Checkpoints.SignAsync(skipWhenUnchanged: true, Console.Out, cancellationToken) is { } signed)
            {
                CheckpointLog.Signed(logger, signed.Checkpoint.Position, signed.Checkpoint.KeyId, signed.Path ?? "standard output");
                return signed;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A missed checkpoint widens the window a truncation can hide in; it must be seen, not retried silently.
            CheckpointLog.SignFailed(logger, ex);
        }

        return null;
    }
}

/// <summary>The worker's start check (issue 7 item 5): it does not start behind a signed checkpoint or behind a projection.</summary>
internal static class StartCheck
{
    public static async Task<bool> PassesAsync(OpsKernel kernel, TextWriter error)
    {
        IntegrityReport report;
        try
        {
            report = await LogIntegrity.CheckStartAsync(kernel, CancellationToken.None);
        }
        catch (Ops.Core.Errors.OpsException ex)
        {
            await error.WriteLineAsync("ops: the worker did not start: " + ex.Message);
            return false;
        }

        if (report.IsIntact)
        {
            return true;
        }

        await error.WriteLineAsync("ops: the worker did not start: the log is behind what was signed or read before. Nothing was started and nothing was changed.");
        foreach (var finding in report.Findings)
        {
            await error.WriteLineAsync($"  - ({finding.Code}) {finding.Message}.");
        }

        var folder = kernel.Checkpoints.Directory ?? "your checkpoint store";
        await error.WriteLineAsync("What to do: run 'log verify' for the full report, and find out why before going on (see docs/operations.md, 'When the worker refuses to start').");
        await error.WriteLineAsync($"  - Restored from an older backup? Restore the newest backup instead, at or after the latest checkpoint in {folder}.");
        await error.WriteLineAsync($"  - Went back on purpose? Move the checkpoints past the log's head out of {folder} (keep them as evidence), and rebuild projections that are ahead of the log.");
        await error.WriteLineAsync($"  - Checkpoint key file missing? Restore {kernel.Checkpoints.KeyFile} from your backup (or set Ops:Checkpoints:KeyFile).");
        return false;
    }
}

/// <summary>Source-generated log messages of the checkpoint schedule.</summary>
internal static partial class CheckpointLog
{
    [LoggerMessage(101, LogLevel.Information, "Checkpoint signed at position {Position} with key {KeyId}: {Where}")]
    public static partial void Signed(ILogger logger, long position, string keyId, string where);

    [LoggerMessage(102, LogLevel.Error, "Signing a checkpoint failed; the next attempt is at the next interval")]
    public static partial void SignFailed(ILogger logger, Exception exception);
}
