using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;

namespace Ops.Host.Tests;

/// <summary>Issue 15 item 5: the worker serves the kernel's meters at <c>/metrics</c> (Prometheus text format) to a caller with an API key.</summary>
public sealed class MetricsTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("ops-metrics-").FullName;

    [Fact]
    public async Task Metrics_AnswersWithTheKernelsMeters_ToAKeyHolderOnly()
    {
        var (_, initOutput) = await HostProcess.RunCliAsync(_work, null, "init");
        var key = initOutput.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ops_", StringComparison.Ordinal));
        var port = HostProcess.FreePort();
        await using var worker = await HostProcess.StartWorkerAsync(_work, port, null);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        // A refused proposal (a command outcome to count) and a claimed tenant that is not the caller's (a safety decision).
        using var refused = await http.PostAsJsonAsync("/v1/proposals", new { command_type = "pack.nope.things.Make", payload = new { } });
        using var claim = new HttpRequestMessage(HttpMethod.Get, "/v1/events?after=0&limit=1");
        claim.Headers.Add("X-Tenant-Id", "globex");
        using var claimed = await http.SendAsync(claim);

        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, claimed.StatusCode);
        using var anonymous = await new HttpClient().GetAsync($"http://127.0.0.1:{port}/metrics");
        var body = await http.GetStringAsync("/metrics");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("ops_commands_total{", body, StringComparison.Ordinal);
        Assert.Contains("stage=\"propose\"", body, StringComparison.Ordinal);
        Assert.Contains("ops_command_duration_milliseconds_bucket", body, StringComparison.Ordinal);
        Assert.Contains("ops_safety_decisions_total{", body, StringComparison.Ordinal);
        Assert.Contains("reason_code=\"identity_mismatch\"", body, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }
}
