using Microsoft.AspNetCore.Authentication;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
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
            HostComposition.AddOps(builder.Services, builder.Configuration, bootLoggers, builder.Environment.ContentRootPath, PackCode.Load);
        }
        catch (Exception ex) when (Edge.EdgeErrors.IsStartFailure(ex))
        {
            await Console.Error.WriteLineAsync("ops: the worker did not start: " + Edge.EdgeErrors.Classify(ex).Operator);
            return 1;
        }

        builder.Services.AddSingleton<AuthenticationFailureLimiter>();
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        builder.Services.AddAuthentication(ApiKeyAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.Services.AddProblemDetails();
        AddTelemetry(builder);

        // The OpenAPI document describes the wire as the API writes it: snake_case names, enums as snake_case strings.
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        });
        builder.Services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new() { Title = "AlignTrue Ops worker API", Version = "v1", Description = "Every route but /, /healthz and /openapi/v1.json needs 'Authorization: Bearer <api key>'. Errors are application/problem+json with a reason_code; each says what failed and that nothing changed." };
            document.Servers = [];
            return Task.CompletedTask;
        }));

        var app = builder.Build();

        // Opened before the server listens: a missing route, a failed migration or a log behind its checkpoint stops the start.
        OpsSession kernel;
        try
        {
            kernel = new OpsSession(app.Services);
        }
        catch (Exception ex) when (Edge.EdgeErrors.IsStartFailure(ex))
        {
            await Console.Error.WriteLineAsync("ops: the worker did not start: " + Edge.EdgeErrors.Classify(ex).Operator);
            return 1;
        }

        if (await kernel.Admin.StartRefusalAsync(CancellationToken.None) is { } refusal)
        {
            await Console.Error.WriteLineAsync("ops: the worker did not start: " + refusal);
            await app.DisposeAsync();
            return 1;
        }

        app.UseExceptionHandler(error => error.Run(async context =>
        {
            var feature = context.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>();
            var failure = feature?.Error ?? new Ops.Core.Errors.OpsException(Ops.Core.Errors.ReasonCodes.Internal, "The exception handler ran without an exception.");
            HostLog.Unhandled(app.Logger, context.Request.Path, failure);
            // The client gets the public words: the exception's text (SQL, .NET type names) stays in the worker's log.
            var edge = Edge.EdgeErrors.Classify(failure);
            await Problems.Of(edge.Code, edge.Public + " Nothing was changed; the request was not retried.").ExecuteAsync(context);
        }));
        // A status with no body of its own (an unknown route, a wrong method) still says what failed, in problem+json.
        app.UseStatusCodePages(async status =>
        {
            var http = status.HttpContext;
            var (code, detail) = http.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => (Ops.Core.Errors.ReasonCodes.NotFound, $"There is no route {http.Request.Method} {http.Request.Path}; the routes are in /openapi/v1.json."),
                StatusCodes.Status405MethodNotAllowed => (Ops.Core.Errors.ReasonCodes.MethodNotAllowed, $"{http.Request.Path} does not take {http.Request.Method}; the routes and their methods are in /openapi/v1.json."),
                StatusCodes.Status415UnsupportedMediaType => (Ops.Core.Errors.ReasonCodes.UnsupportedMediaType, $"{http.Request.Path} takes application/json, not '{http.Request.ContentType}'."),
                _ => (Ops.Core.Errors.ReasonCodes.BadRequest, $"The request to {http.Request.Path} was refused (HTTP {http.Response.StatusCode})."),
            };
            await Problems.Of(code, detail + " Nothing was changed.").ExecuteAsync(http);
        });
        app.UseAuthentication();
        app.UseAuthorization();
        Api.Map(app);
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        // Needs an API key like the rest of the API (Prometheus: 'authorization: credentials: <key>' in the scrape config).
        app.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization()
            .WithSummary("The kernel's metrics in the Prometheus text format (command outcomes and latency, safety decisions, egress moves, connector appends). Needs an API key.");
        await Console.Out.WriteLineAsync("ops: worker starting on " + (builder.Configuration["urls"] ?? "http://127.0.0.1:5080"));
        foreach (var line in (await HostStatus.DescribeAsync(kernel, CancellationToken.None)).Split(Environment.NewLine))
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
            await Console.Error.WriteLineAsync("ops: the worker did not start: " + ex.Message + " Another process listens there: stop it, or choose another address with run --urls. Nothing was changed.");
            return 1;
        }

        return 0;
    }

    /// <summary>
    /// OpenTelemetry over the kernel's Meter and ActivitySource (<see cref="OpsTelemetry.Name"/>): a Prometheus scrape endpoint
    /// always, OTLP export of metrics and traces when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the exporter's own setting).
    /// </summary>
    private static void AddTelemetry(WebApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("aligntrue-ops-worker"))
            .WithMetrics(m =>
            {
                m.AddMeter(OpsTelemetry.Name).AddPrometheusExporter();
                if (otlp)
                {
                    m.AddOtlpExporter();
                }
            })
            .WithTracing(t =>
            {
                t.AddSource(OpsTelemetry.Name);
                if (otlp)
                {
                    t.AddOtlpExporter();
                }
            });
    }
}
