using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Ops.Host.Tests;

/// <summary>
/// Issue 15 item 5: the worker's console logs as JSON by configuration (docs/operations.md), and a failed authentication
/// is logged with the client's address and the key id, never the key's secret.
/// </summary>
public sealed class JsonLogTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("ops-json-logs-").FullName;

    [Fact]
    public async Task AFailedAuthentication_IsLoggedAsJson_WithTheClientAndTheKeyId_NeverTheSecret()
    {
        Assert.Equal(0, (await HostProcess.RunCliAsync(_work, null, "init")).ExitCode);
        var port = HostProcess.FreePort();
        await using var worker = await HostProcess.StartWorkerAsync(_work, port, new Dictionary<string, string> { ["Logging__Console__FormatterName"] = "json" });
        const string keyId = "0123456789ab";
        var secret = new string('c', 48);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", $"ops_{keyId}_{secret}");

        using var response = await http.GetAsync("/v1/events");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var logged = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? line = null;
        while (line is null)
        {
            // The console logger writes on its own thread: wait for the line, bounded.
            line = worker.Output.Split('\n').FirstOrDefault(l => l.Contains("Authentication failed", StringComparison.Ordinal));
            if (line is null)
            {
                await Task.Delay(50, logged.Token);
            }
        }

        using var json = JsonDocument.Parse(line);
        var state = json.RootElement.GetProperty("State");
        Assert.Equal("127.0.0.1", state.GetProperty("Client").GetString());
        Assert.Equal(keyId, state.GetProperty("KeyId").GetString());
        Assert.Equal("unauthenticated", state.GetProperty("ReasonCode").GetString());
        Assert.DoesNotContain(secret, worker.Output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }
}
