using Microsoft.AspNetCore.Authentication;
using Ops.Core.Hosting;
using Ops.Host.Http;
using Ops.Host.Packs;

namespace Ops.Host;

/// <summary>The worker: HTTP API on 127.0.0.1 plus the projection runner, on one open kernel.</summary>
internal static class Worker
{
    /// <summary>Largest request body accepted, in bytes (1 MiB); larger bodies get 400 before anything is read into memory.</summary>
    public const long MaxRequestBodyBytes = 1024 * 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = Directory.GetCurrentDirectory() });
        // appsettings.json beside the executable is the lowest layer, so running from any folder finds the defaults.
        var defaults = new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource { Path = Path.Combine(AppContext.BaseDirectory, "appsettings.json"), Optional = true, ReloadOnChange = false };
        defaults.ResolveFileProvider();
        builder.Configuration.Sources.Insert(0, defaults);

        using var bootLoggers = LoggerFactory.Create(l => l.AddSimpleConsole(o => o.SingleLine = true));
        OpsKernel kernel;
        PackLoader loader;
        try
        {
            (kernel, loader) = HostComposition.Open(builder.Configuration, bootLoggers, builder.Environment.ContentRootPath);
        }
        catch (Exception ex) when (ex is Ops.Core.Routing.RouteMissingException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync("ops: the worker did not start: " + ex.Message);
            return 1;
        }

        if (!await StartCheck.PassesAsync(kernel, Console.Error))
        {
            await kernel.DisposeAsync();
            return 1;
        }

        await using (kernel)
        {
            builder.Services.AddSingleton(kernel);
            builder.Services.AddSingleton(loader);
            builder.Services.AddHostedService<ProjectionRunner>();
            builder.Services.AddHostedService<CapabilityExpiryRecorder>();
            builder.Services.AddHostedService<CheckpointScheduler>();
            builder.Services.AddSingleton<AuthenticationFailureLimiter>();
            builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
            builder.Services.AddAuthentication(ApiKeyAuthentication.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
            builder.Services.AddAuthorization();
            builder.Services.AddProblemDetails();

            var app = builder.Build();
            app.UseExceptionHandler(error => error.Run(async context =>
            {
                var feature = context.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>();
                HostLog.Unhandled(app.Logger, context.Request.Path, feature?.Error ?? new InvalidOperationException("unknown"));
                // Fixed words per kind: the exception's text (SQL, .NET type names) stays in the worker's log.
                var (code, detail) = feature?.Error switch
                {
                    BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge => (Ops.Core.Errors.ReasonCodes.BadRequest, $"The request body is larger than {MaxRequestBodyBytes / 1024} KiB."),
                    BadHttpRequestException => (Ops.Core.Errors.ReasonCodes.BadRequest, "The request could not be read."),
                    Ops.Core.Log.LogCommitException => (Ops.Core.Errors.ReasonCodes.LogUnavailable, "The log could not commit."),
                    Ops.Core.Errors.OpsException ops => (ops.Code, ops.Message),
                    _ => (Ops.Core.Errors.ReasonCodes.Internal, "The worker failed to handle the request; the details are in its log."),
                };
                await Problems.Of(code, detail + " Nothing was changed; the request was not retried.").ExecuteAsync(context);
            }));
            app.UseStatusCodePages();
            app.UseAuthentication();
            app.UseAuthorization();
            Api.Map(app);
            await app.RunAsync();
        }

        return 0;
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
                    HostLog.ProjectionCatchUpFailed(logger, ex);
                }

                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                await Task.WhenAny(_signal.WaitAsync(wait.Token), Task.Delay(TimeSpan.FromMilliseconds(kernel.Options.PollIntervalMs), kernel.Time, wait.Token));
                await wait.CancelAsync();
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
                await Ops.Core.Capabilities.CapabilityExpiry.RecordExpiredAsync(kernel.Writer, kernel.Options.Mode, stoppingToken);
                await Task.Delay(TimeSpan.FromMinutes(1), kernel.Time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Ops.Core.Log.LogCommitException ex)
            {
                HostLog.ExpiryRecordFailed(logger, ex);
                await Task.Delay(TimeSpan.FromMinutes(1), kernel.Time, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
            }
        }
    }
}
