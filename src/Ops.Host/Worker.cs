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
        try
        {
            HostComposition.AddOps(builder.Services, builder.Configuration, bootLoggers, builder.Environment.ContentRootPath);
        }
        catch (Exception ex) when (ex is Ops.Core.Routing.RouteMissingException or InvalidOperationException or Ops.Core.Errors.OpsException)
        {
            await Console.Error.WriteLineAsync("ops: the worker did not start: " + ex.Message);
            return 1;
        }

        builder.Services.AddSingleton<AuthenticationFailureLimiter>();
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        builder.Services.AddAuthentication(ApiKeyAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.Services.AddProblemDetails();

        var app = builder.Build();

        // Opened before the server listens: a missing route, a failed migration or a log behind its checkpoint stops the start.
        OpsKernel kernel;
        try
        {
            kernel = app.Services.GetRequiredService<OpsKernel>();
        }
        catch (Exception ex) when (ex is Ops.Core.Routing.RouteMissingException or InvalidOperationException or Ops.Core.Errors.OpsException or Microsoft.Extensions.Options.OptionsValidationException)
        {
            await Console.Error.WriteLineAsync("ops: the worker did not start: " + ex.Message);
            return 1;
        }

        if (await KernelStartup.CheckAsync(kernel, CancellationToken.None) is { } refusal)
        {
            await Console.Error.WriteLineAsync("ops: the worker did not start: " + refusal);
            await app.DisposeAsync();
            return 1;
        }

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
        await Console.Out.WriteLineAsync("ops: worker starting on " + (builder.Configuration["urls"] ?? "http://127.0.0.1:5080"));
        foreach (var line in (await HostStatus.DescribeAsync(kernel, app.Services.GetRequiredService<PackLoader>(), CancellationToken.None)).Split(Environment.NewLine))
        {
            await Console.Out.WriteLineAsync("ops:   " + line);
        }

        try
        {
            await app.RunAsync();
        }
        catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException or System.Net.Sockets.SocketException)
        {
            // Kestrel reports a taken port as an IOException: a fact for the operator, not a stack trace.
            await Console.Error.WriteLineAsync("ops: the worker did not start: " + ex.Message + " Another process listens there: stop it, or choose another address with --urls. Nothing was changed.");
            return 1;
        }

        return 0;
    }
}
