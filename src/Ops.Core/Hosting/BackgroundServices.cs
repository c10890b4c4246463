using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Ops.Core.Capabilities;
using Ops.Core.Errors;
using Ops.Core.Log;
using Ops.Core.Log.Checkpoints;
using Ops.Core.Log.Integrity;

namespace Ops.Core.Hosting;

/// <summary>
/// Opens the kernel when the host starts, so a missing route, a failed migration or a log behind its checkpoint stops
/// the start (issue 7 item 5; seed 001), and says what to do.
/// </summary>
internal sealed class KernelStartup(IServiceProvider services) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var kernel = (OpsKernel)services.GetService(typeof(OpsKernel))!;
        if (await CheckAsync(kernel, cancellationToken) is { } refusal)
        {
            throw new OpsException(ReasonCodes.IntegrityViolation, refusal);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The start check: null when the kernel may start, else what is wrong and what to do (several lines).</summary>
    public static async Task<string?> CheckAsync(OpsKernel kernel, CancellationToken cancellationToken)
    {
        IntegrityReport report;
        try
        {
            report = await LogIntegrity.CheckStartAsync(kernel, cancellationToken);
        }
        catch (OpsException ex)
        {
            return ex.Message;
        }

        if (report.IsIntact)
        {
            return null;
        }

        var damaged = report.Findings.Any(f => f.Problem is IntegrityProblem.RowUnreadable or IntegrityProblem.SchemaAltered or IntegrityProblem.ChainBroken);
        var text = new StringBuilder(damaged
            ? "the log's database was altered: a row or the schema of its tables is not what the kernel wrote. Nothing was started and nothing was changed."
            : "the log is behind what was signed or read before. Nothing was started and nothing was changed.");
        foreach (var finding in report.Findings)
        {
            text.AppendLine().Append($"  - ({finding.Code}) {finding.Message}.");
        }

        var folder = kernel.Checkpoints.Directory ?? "your checkpoint store";
        text.AppendLine().Append("What to do: run 'log verify' for the full report, and find out why before going on (see docs/operations.md, 'When the worker refuses to start').");
        if (damaged)
        {
            text.AppendLine().Append("  - A row that does not read, a broken chain or a changed schema (a trigger dropped, a table renamed and copied back): restore the database from a backup taken before the change; keep the altered file as evidence.");
        }

        text.AppendLine().Append($"  - Restored from an older backup? Restore the newest backup instead, at or after the latest checkpoint in {folder}.");
        text.AppendLine().Append($"  - Went back on purpose? Move the checkpoints past the log's head out of {folder} (keep them as evidence), and rebuild projections that are ahead of the log.");
        text.AppendLine().Append($"  - Checkpoint key file missing? Restore {kernel.Checkpoints.KeyFile} from your backup (or set Ops:Checkpoints:KeyFile).");
        return text.ToString();
    }
}

/// <summary>Folds new events into projections after each commit, and on a poll interval for appends made by other processes.</summary>
internal sealed class ProjectionRunner(OpsKernel kernel, ILogger<ProjectionRunner> logger) : BackgroundService
{
    private readonly SemaphoreSlim _signal = new(0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        kernel.Writer.Committed += OnCommitted;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await kernel.Projections.CatchUpAsync(null, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    HostingLog.ProjectionCatchUpFailed(logger, ex);
                }

                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                try
                {
                    await Task.WhenAny(_signal.WaitAsync(wait.Token), Task.Delay(TimeSpan.FromMilliseconds(kernel.Options.PollIntervalMs), kernel.Time, wait.Token));
                }
                finally
                {
                    await wait.CancelAsync();
                }
            }
        }
        finally
        {
            kernel.Writer.Committed -= OnCommitted;
        }
    }

    private void OnCommitted(long head)
    {
        if (_signal.CurrentCount == 0)
        {
            _signal.Release();
        }
    }

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }
}

/// <summary>Once a minute, records core.CapabilityExpired for capabilities whose expiry has passed.</summary>
internal sealed class CapabilityExpiryRecorder(OpsKernel kernel, ILogger<CapabilityExpiryRecorder> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CapabilityExpiry.RecordExpiredAsync(kernel.Writer, kernel.Options.Mode, stoppingToken);
            }
            catch (LogCommitException ex)
            {
                HostingLog.ExpiryRecordFailed(logger, ex);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMinutes(1), kernel.Time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

/// <summary>Writes the safety stream's coalesced windows once they have passed, and all of them when the host stops.</summary>
internal sealed class SafetyFlusher(OpsKernel kernel, ILogger<SafetyFlusher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(kernel.Safety.WindowLength, kernel.Time, stoppingToken);
                await kernel.Safety.FlushAsync(all: false, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (LogCommitException ex)
            {
                HostingLog.SafetyFlushFailed(logger, ex);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await kernel.Safety.FlushAsync(all: true, cancellationToken);
        }
        catch (LogCommitException ex)
        {
            HostingLog.SafetyFlushFailed(logger, ex);
        }
    }
}

/// <summary>
/// Signs a checkpoint every <c>Ops:Checkpoints:IntervalSeconds</c> when the log has moved since the last
/// one (time through the kernel's TimeProvider), and once more when the host stops, so a truncation
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
                HostingLog.CheckpointSigned(logger, signed.Checkpoint.Position, signed.Checkpoint.KeyId, signed.Path ?? "standard output");
                return signed;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A missed checkpoint widens the window a truncation can hide in; it must be seen, not retried silently.
            HostingLog.CheckpointSignFailed(logger, ex);
        }

        return null;
    }
}

/// <summary>Source-generated log messages of the kernel's background services.</summary>
internal static partial class HostingLog
{
    [LoggerMessage(201, LogLevel.Error, "Projection catch-up failed; retrying at the next commit or poll")]
    public static partial void ProjectionCatchUpFailed(ILogger logger, Exception exception);

    [LoggerMessage(202, LogLevel.Error, "Recording capability expiries failed; retrying in a minute")]
    public static partial void ExpiryRecordFailed(ILogger logger, Exception exception);

    [LoggerMessage(203, LogLevel.Error, "Writing coalesced safety records failed; retrying at the next window")]
    public static partial void SafetyFlushFailed(ILogger logger, Exception exception);

    [LoggerMessage(204, LogLevel.Information, "Checkpoint signed at position {Position} with key {KeyId}: {Where}")]
    public static partial void CheckpointSigned(ILogger logger, long position, string keyId, string where);

    [LoggerMessage(205, LogLevel.Error, "Signing a checkpoint failed; the next attempt is at the next interval")]
    public static partial void CheckpointSignFailed(ILogger logger, Exception exception);
}
