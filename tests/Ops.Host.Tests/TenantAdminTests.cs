using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Ops.Host.Tests;

/// <summary>
/// Issue 20 item 1 through the worker: <c>tenants add</c> makes a tenant administrator who administers its tenant and
/// reaches nothing of the root's tenant over HTTP: not its log, and of a connector only its own tenant's instance.
/// </summary>
public sealed class TenantAdminTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("ops-tenants-").FullName;

    [Fact]
    public async Task TenantsAdd_MakesATenantAdmin_WhoSeesOnlyItsTenant_AndTouchesOnlyItsOwnConnectorInstance()
    {
        var (_, initOutput) = await HostProcess.RunCliAsync(_work, null, "init");
        var (added, addOutput) = await HostProcess.RunCliAsync(_work, null, "tenants", "add", "globex", "--admin", "gus");
        Assert.True(added == 0, addOutput);
        Assert.Contains("Tenant 'globex' has administrator 'gus'", addOutput, StringComparison.Ordinal);
        var root = KeyOf(initOutput);
        var gus = KeyOf(addOutput);
        var port = HostProcess.FreePort();
        await using (var worker = await HostProcess.StartWorkerAsync(_work, port, null))
        {
            using var asGus = Client(port, gus);
            using var asRoot = Client(port, root);

            using var events = await asGus.GetAsync("/v1/events?after=0&limit=1000");
            using var connector = await asGus.GetAsync("/v1/connectors/github/issues");
            using var reset = await asGus.PostAsJsonAsync("/v1/connectors/github/issues/reset", new { reason = "force a backfill" });
            using var rootConnector = await asRoot.GetAsync("/v1/connectors/github/issues");

            Assert.Equal(HttpStatusCode.OK, events.StatusCode);
            using var page = JsonDocument.Parse(await events.Content.ReadAsStringAsync());
            var tenants = page.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("envelope").GetProperty("scope").GetProperty("tenant_id").GetString()).Distinct().ToList();
            Assert.All(tenants, t => Assert.Equal("globex", t));
            // Each tenant runs its own instance of a connector: gus reads and resets globex's, never default's.
            Assert.Equal(HttpStatusCode.OK, connector.StatusCode);
            Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
            Assert.Equal(HttpStatusCode.OK, rootConnector.StatusCode);
        }

        Assert.Equal(1, Scalar("SELECT count(*) FROM events WHERE event_type = 'core.ConnectorCursorReset' AND stream_id = 'core:connector-github.issues@globex'"));
        Assert.Equal(0, Scalar("SELECT count(*) FROM connector_cursors WHERE connector_id = 'github.issues@default'"));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }

    private static string KeyOf(string output) => output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ops_", StringComparison.Ordinal));

    private static HttpClient Client(int port, string key)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    private long Scalar(string sql) => WorkDatabase.Scalar(_work, sql);
}
