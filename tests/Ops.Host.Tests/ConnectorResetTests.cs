using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Ops.Host.Tests;

/// <summary><c>connectors list|show|reset</c> and <c>POST /v1/connectors/{pack}/{name}/reset</c> against the built worker (issue 10 item 4).</summary>
public sealed class ConnectorResetTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("ops-connectors-").FullName;

    private Task<(int ExitCode, string Output)> Cli(params string[] args) => HostProcess.RunCliAsync(_work, null, args);

    [Fact]
    public async Task Cli_ResetIsRecordedWithReason_UnknownOrReasonless_IsRefused()
    {
        Assert.Equal(0, (await Cli("init")).ExitCode);

        var list = await Cli("connectors", "list");
        var reset = await Cli("connectors", "reset", "github.issues", "--reason", "base URL changed");
        var unknown = await Cli("connectors", "reset", "github.nope", "--reason", "x");
        var reasonless = await Cli("connectors", "reset", "github.issues");
        var show = await Cli("connectors", "show", "github.issues");

        Assert.Equal(0, list.ExitCode);
        Assert.Contains("github.issues  cursor=-  watermark=-  pages=0", list.Output, StringComparison.Ordinal);
        Assert.Equal(0, reset.ExitCode);
        Assert.Contains("RESET  github.issues: cursor (none), watermark (none), 0 page(s) cleared; recorded as event", reset.Output, StringComparison.Ordinal);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("not_found", unknown.Output, StringComparison.Ordinal);
        Assert.Equal(2, reasonless.ExitCode);
        Assert.Equal(0, show.ExitCode);
        Assert.Equal(["base URL changed"], ResetReasons());
    }

    [Fact]
    public async Task Http_ResetNeedsAKeyAndAReason_AndIsRecorded()
    {
        var (_, initOutput) = await HostProcess.RunCliAsync(_work, null, "init");
        var key = initOutput.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ops_", StringComparison.Ordinal));
        var port = HostProcess.FreePort();
        await using (var worker = await HostProcess.StartWorkerAsync(_work, port, null))
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

            using var anonymous = await new HttpClient().PostAsJsonAsync($"http://127.0.0.1:{port}/v1/connectors/github/issues/reset", new { reason = "x" });
            using var reasonless = await http.PostAsJsonAsync("/v1/connectors/github/issues/reset", new { reason = "" });
            using var notJson = await http.PostAsync("/v1/connectors/github/issues/reset", new StringContent("reason=x"));
            using var unknown = await http.PostAsJsonAsync("/v1/connectors/github/nope/reset", new { reason = "x" });
            using var reset = await http.PostAsJsonAsync("/v1/connectors/github/issues/reset", new { reason = "rotate to a new mirror" });
            using var state = JsonDocument.Parse(await http.GetStringAsync("/v1/connectors/github/issues"));

            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, reasonless.StatusCode);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, notJson.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("not_found", JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()).RootElement.GetProperty("reason_code").GetString());
            Assert.True(reset.IsSuccessStatusCode, await reset.Content.ReadAsStringAsync());
            using var body = JsonDocument.Parse(await reset.Content.ReadAsStringAsync());
            Assert.Equal("github.issues", body.RootElement.GetProperty("connector_id").GetString());
            Assert.Equal(64, body.RootElement.GetProperty("event_id").GetString()!.Length);
            Assert.Equal(JsonValueKind.Null, state.RootElement.GetProperty("cursor").ValueKind);
        }

        Assert.Equal(["rotate to a new mirror"], ResetReasons());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }

    private List<string> ResetReasons()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_work, "data", "ops.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT envelope FROM events WHERE event_type = 'core.ConnectorCursorReset' ORDER BY position";
        var reasons = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var payload = reader.GetValue(0) is byte[] bytes ? System.Text.Encoding.UTF8.GetString(bytes) : (string)reader.GetValue(0);
            using var json = JsonDocument.Parse(payload);
            var reset = json.RootElement.GetProperty("payload");
            Assert.Equal("admin", reset.GetProperty("actor_id").GetString());
            reasons.Add(reset.GetProperty("reason").GetString()!);
        }

        return reasons;
    }
}
