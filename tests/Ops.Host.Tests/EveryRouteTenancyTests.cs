using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Ops.Core.Consent;
using Ops.Core.Egress;
using Ops.Core.Identity;
using Ops.TestSupport;

namespace Ops.Host.Tests;

/// <summary>
/// Issue 20 item 1, generated from the worker's own OpenAPI document: every route has a declared tenant rule here, or the
/// test fails naming it. Tenant "default" (the root admin of init) holds a note, an egress request and a kill switch,
/// each carrying a marker; globex's tenant administrator (<c>tenants add</c>: everything inside globex) calls every route
/// against them. No answer may carry the marker, and default's request, switch and actors stay as they were.
/// </summary>
public sealed class EveryRouteTenancyTests : IDisposable
{
    internal const string Marker = "acme-secret-7f3";

    internal static readonly Dictionary<string, string> Environment = new()
    {
        ["Ops__Egress__Dispatch"] = "false",
        ["Ops__Egress__Destinations__github__BaseUrl"] = "http://127.0.0.1:9/",
        ["Ops__Packs__github__BaseUrl"] = "http://127.0.0.1:9/",
    };

    private readonly string _work = Directory.CreateTempSubdirectory("ops-every-route-").FullName;

    /// <summary>The declared rule of every route, and the attack that proves it. A route of the document missing here fails.</summary>
    private static readonly Dictionary<string, (string Rule, Func<World, Task> Attack)> Rules = new(StringComparer.Ordinal)
    {
        ["GET /"] = ("public: says what the worker is, nothing of any tenant", w => w.ReadsNothingOfDefaultAsync("/")),
        ["GET /healthz"] = ("public: alive, nothing else", w => w.ReadsNothingOfDefaultAsync("/healthz")),
        ["GET /v1/status"] = ("operator metadata (mode, head position, routes), no tenant's data", w => w.ReadsNothingOfDefaultAsync("/v1/status")),
        ["GET /v1/packs"] = ("the catalogue of installed packs, no tenant's data", w => w.ReadsNothingOfDefaultAsync("/v1/packs")),
        ["GET /v1/events"] = ("the caller's tenant's rows only", w => w.EventsAreGlobexOnlyAsync()),
        ["GET /v1/audit"] = ("the caller's tenant's records only", w => w.ReadsNothingOfDefaultAsync("/v1/audit")),
        ["POST /v1/commands"] = ("identity from authentication; mutations only by consent", w => w.RefusedAsync(w.Gus.PostAsJsonAsync("/v1/commands", RegisterInDefault))),
        ["POST /v1/proposals"] = ("an object of another tenant needs a capability that names it", w => w.RefusedAsync(w.Gus.PostAsJsonAsync("/v1/proposals", RegisterInDefault), HttpStatusCode.Forbidden)),
        ["POST /v1/commits"] = ("as proposals; a policy consents only within its tenant", w => w.RefusedAsync(w.Gus.PostAsJsonAsync("/v1/commits", new { command = RegisterInDefault, consent = new { kind = "policy", policy_id = new string('0', 64), policy_version = 1 } }))),
        ["POST /v1/packs/proposals"] = ("installing a pack spans every tenant: root only", w => w.RefusedAsync(w.Gus.PostAsJsonAsync("/v1/packs/proposals", new { folder = "/tmp" }), HttpStatusCode.Forbidden)),
        ["GET /v1/egress"] = ("the caller's tenant's requests only", w => w.ReadsNothingOfDefaultAsync("/v1/egress")),
        ["GET /v1/egress/{id}"] = ("another tenant's request answers 404, like a missing one", w => w.RefusedAsync(w.Gus.GetAsync($"/v1/egress/{w.Request.RequestId}"), HttpStatusCode.NotFound)),
        ["POST /v1/egress/{id}/approve"] = ("the caller's tenant's requests only", w => w.MoveRefusedAsync("approve", JsonContent.Create(EgressApproval.Sign(w.GusKey, "gus", w.Request.RequestId, w.Request.RequestHash, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)), options: OpsJson.Options))),
        ["POST /v1/egress/{id}/reject"] = ("the caller's tenant's requests only", w => w.MoveRefusedAsync("reject", JsonContent.Create(new { reason = "mine" }))),
        ["POST /v1/egress/{id}/hold"] = ("the caller's tenant's requests only", w => w.MoveRefusedAsync("hold", JsonContent.Create(new { reason = "mine" }))),
        ["POST /v1/egress/{id}/release"] = ("the caller's tenant's requests only", w => w.MoveRefusedAsync("release", JsonContent.Create(new { reason = "mine" }))),
        ["POST /v1/egress/{id}/undo"] = ("the caller's tenant's requests only", w => w.MoveRefusedAsync("undo", JsonContent.Create(new { reason = "mine" }))),
        ["GET /v1/egress-switches"] = ("own tenant's switches; the root's by scope only", w => w.ReadsNothingOfDefaultAsync("/v1/egress-switches")),
        ["POST /v1/egress-switches"] = ("a non-root operator's switch holds only its tenant", w => w.SwitchHoldsOnlyGlobexAsync()),
        ["DELETE /v1/egress-switches/{scope}"] = ("a non-root operator cannot release the root's switch", w => w.RootSwitchStaysAsync()),
        ["GET /v1/connectors/{pack}/{name}"] = ("each tenant runs its own instance: the caller's is read, never another's", w => w.ReadsNothingOfDefaultAsync("/v1/connectors/github/issues")),
        ["POST /v1/connectors/{pack}/{name}/reset"] = ("each tenant runs its own instance: the caller's is reset, never another's", w => w.ResetLeavesDefaultAloneAsync()),
        ["POST /v1/connectors/{pack}/{name}/sync"] = ("each tenant runs its own instance: ingests into the caller's tenant, with its own cursor", w => w.SyncLeavesDefaultAloneAsync()),
        ["GET /v1/queries/{pack}/{query}"] = ("projections scoped to the caller's tenant", w => w.QueriesSeeNothingOfDefaultAsync()),
    };

    private static object RegisterInDefault => new { command_type = "core.RegisterActor", payload = new { actor_id = "mole", kind = "human", display_name = "Mole", tenant_id = "default" } };

    [Fact]
    [Trait("Pack", "notes")]
    public Task EveryRouteOfTheOpenApiDocument_HasATenantRule_AndHoldsItAgainstAnotherTenantsAdministrator() => RunAsync(_work, "sqlite", null);

    /// <summary>The generated test on the worker of <paramref name="routes"/> (null: its embedded SQLite default).</summary>
    internal static async Task RunAsync(string work, string engine, IDictionary<string, string>? engineRoutes)
    {
        await using var world = await World.StartAsync(work, engineRoutes);
        using var document = JsonDocument.Parse(await world.Gus.GetStringAsync("/openapi/v1.json"));
        var routes = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => $"{m.Name.ToUpperInvariant()} {p.Name}"))
            .ToList();

        var undeclared = routes.Where(r => !Rules.ContainsKey(r)).ToList();
        Assert.True(undeclared.Count == 0, "routes without a declared tenant rule: " + string.Join(", ", undeclared));
        var failures = new List<string>();
        foreach (var route in routes)
        {
            try
            {
                await Rules[route].Attack(world);
            }
            catch (Exception ex) when (ex is Xunit.Sdk.XunitException)
            {
                failures.Add($"{route} ({Rules[route].Rule}): {ex.Message}");
            }
        }

        await world.DefaultIsUnchangedAsync();
        Console.WriteLine($"tenancy ({engine}): {routes.Count} routes, each with a declared rule, attacked by another tenant's administrator; {failures.Count} failed");
        Assert.True(failures.Count == 0, string.Join(System.Environment.NewLine, failures));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }

    /// <summary>The worker, default's data, and both parties' clients.</summary>
    internal sealed class World : IAsyncDisposable
    {
        private HostProcess _worker = null!;

        public HttpClient Admin { get; private set; } = null!;

        public HttpClient Gus { get; private set; } = null!;

        public ECDsa GusKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        public EgressRequestView Request { get; private set; } = null!;

        public string NoteId { get; private set; } = string.Empty;

        /// <summary>The environment of every process of this world: <see cref="Environment"/> and the engine's routes.</summary>
        public Dictionary<string, string> Settings { get; private init; } = Environment;

        public static async Task<World> StartAsync(string work, IDictionary<string, string>? routes = null)
        {
            var world = new World { Settings = new Dictionary<string, string>(Environment.Concat(routes ?? new Dictionary<string, string>())) };
            var (_, initOutput) = await HostProcess.RunCliAsync(work, world.Settings, "init");
            var (added, addOutput) = await HostProcess.RunCliAsync(work, world.Settings, "tenants", "add", "globex", "--admin", "gus");
            Assert.True(added == 0, addOutput);
            var port = HostProcess.FreePort();
            world._worker = await HostProcess.StartWorkerAsync(work, port, world.Settings);
            world.Admin = Client(port, KeyOf(initOutput));
            world.Gus = Client(port, KeyOf(addOutput));
            using var signer = ECDsa.Create();
            signer.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(HostProcess.UserConfigFolder(work), "admin-signer.pem")));
            await EgressHttp.CommitAsync(world.Admin, signer, new { command_type = "pack.notes.notes.CreateNote", target_ref = "note-new", payload = new { title = Marker, content = Marker, content_type = "text", tags = new[] { "q4" } } });
            await EgressHttp.CommitAsync(world.Admin, signer, new { command_type = "pack.github.issues.AddLabels", payload = new { repository = "octo/" + Marker, issue_number = 7, labels = new[] { Marker } } });
            world.Request = Assert.Single(await EgressHttp.ListAsync(world.Admin, "pending"));
            using var notes = JsonDocument.Parse(await world.Admin.GetStringAsync("/v1/queries/notes/list"));
            world.NoteId = notes.RootElement.GetProperty("result").GetProperty("notes")[0].GetProperty("note_id").GetString()!;
            using var engaged = await world.Admin.PostAsJsonAsync("/v1/egress-switches", new { scope = "pack:notes", reason = Marker });
            Assert.True(engaged.IsSuccessStatusCode, await engaged.Content.ReadAsStringAsync());
            return world;
        }

        public async Task ReadsNothingOfDefaultAsync(string path)
        {
            using var response = await Gus.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}");
            Assert.DoesNotContain(Marker, body, StringComparison.Ordinal);
        }

        public async Task EventsAreGlobexOnlyAsync()
        {
            await ReadsNothingOfDefaultAsync("/v1/events?after=0&limit=1000");
            using var page = JsonDocument.Parse(await Gus.GetStringAsync("/v1/events?after=0&limit=1000"));
            Assert.All(page.RootElement.GetProperty("events").EnumerateArray(), e => Assert.Equal("globex", e.GetProperty("envelope").GetProperty("scope").GetProperty("tenant_id").GetString()));
        }

        public async Task RefusedAsync(Task<HttpResponseMessage> call, HttpStatusCode? expected = null)
        {
            using var response = await call;
            var body = await response.Content.ReadAsStringAsync();
            Assert.False(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}");
            if (expected is { } status)
            {
                Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
            }

            Assert.DoesNotContain(Marker, body, StringComparison.Ordinal);
        }

        public async Task MoveRefusedAsync(string move, HttpContent body)
        {
            await RefusedAsync(Gus.PostAsync($"/v1/egress/{Request.RequestId}/{move}", body));
            Assert.Equal("pending", (await AdminViewAsync()).Status);
        }

        public async Task SwitchHoldsOnlyGlobexAsync()
        {
            using var engaged = await Gus.PostAsJsonAsync("/v1/egress-switches", new { scope = "destination:github", reason = "globex incident" });
            Assert.True(engaged.IsSuccessStatusCode, await engaged.Content.ReadAsStringAsync());
            Assert.Equal("pending", (await AdminViewAsync()).Status);
        }

        public async Task RootSwitchStaysAsync()
        {
            await RefusedAsync(Gus.DeleteAsync("/v1/egress-switches/pack:notes"));
            using var switches = JsonDocument.Parse(await Admin.GetStringAsync("/v1/egress-switches"));
            Assert.Contains(switches.RootElement.GetProperty("switches").EnumerateArray(), s => s.GetProperty("scope").GetString() == "pack:notes");
        }

        public async Task SyncLeavesDefaultAloneAsync()
        {
            using var before = await Admin.GetAsync("/v1/connectors/github/issues");
            var cursor = await before.Content.ReadAsStringAsync();
            using var sync = await Gus.PostAsync("/v1/connectors/github/issues/sync", null);
            Assert.DoesNotContain(Marker, await sync.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using var after = await Admin.GetAsync("/v1/connectors/github/issues");
            Assert.Equal(cursor, await after.Content.ReadAsStringAsync());
        }

        public async Task ResetLeavesDefaultAloneAsync()
        {
            using var before = await Admin.GetAsync("/v1/connectors/github/issues");
            var cursor = await before.Content.ReadAsStringAsync();
            using var reset = await Gus.PostAsJsonAsync("/v1/connectors/github/issues/reset", new { reason = "backfill globex" });
            Assert.True(reset.IsSuccessStatusCode, await reset.Content.ReadAsStringAsync());
            using var after = await Admin.GetAsync("/v1/connectors/github/issues");
            Assert.Equal(cursor, await after.Content.ReadAsStringAsync());
        }

        public async Task QueriesSeeNothingOfDefaultAsync()
        {
            using var packs = JsonDocument.Parse(await Gus.GetStringAsync("/v1/packs"));
            foreach (var query in packs.RootElement.GetProperty("queries").EnumerateArray())
            {
                var path = query.GetProperty("path").GetString()!;
                using var response = await Gus.GetAsync(path + "?note_id=" + NoteId + "&state=open");
                Assert.DoesNotContain(Marker, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }

        /// <summary>Nothing of default's changed: its actors, its request's status, and no actor 'mole' anywhere.</summary>
        public async Task DefaultIsUnchangedAsync()
        {
            Assert.Equal("pending", (await AdminViewAsync()).Status);
            using var events = await Admin.GetAsync("/v1/events?after=0&limit=1000");
            Assert.DoesNotContain("\"mole\"", await events.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        public async ValueTask DisposeAsync()
        {
            Admin.Dispose();
            Gus.Dispose();
            GusKey.Dispose();
            await _worker.DisposeAsync();
        }

        private async Task<EgressRequestView> AdminViewAsync()
        {
            var json = await Admin.GetStringAsync($"/v1/egress/{Request.RequestId}");
            return JsonSerializer.Deserialize<EgressRequestView>(json, OpsJson.Options)!;
        }

        private static string KeyOf(string output) => output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ops_", StringComparison.Ordinal));

        private static HttpClient Client(int port, string key)
        {
            var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return http;
        }
    }
}

/// <summary>The generated tenancy test on a worker routed to PostgreSQL (issue 20: on both engines), on a fresh database of the run's server.</summary>
[RequiresPostgres]
public sealed class EveryRouteTenancyPostgresTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("ops-every-route-pg-").FullName;

    [Fact]
    [Trait("Pack", "notes")]
    public async Task EveryRouteOfTheOpenApiDocument_HoldsItsTenantRule_OnPostgres()
    {
        var admin = PostgresServer.AdminConnectionString;
        var name = "ops_tenancy_" + Guid.NewGuid().ToString("N")[..8];
        await ExecuteAsync(admin, $"CREATE DATABASE {name}");
        try
        {
            var connection = new Npgsql.NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
            await EveryRouteTenancyTests.RunAsync(_work, "postgres", new Dictionary<string, string>
            {
                ["Ops__Routes__event_log__Provider"] = "postgres",
                ["Ops__Routes__event_log__ConnectionString"] = connection,
                ["Ops__Routes__projections__Provider"] = "postgres",
                ["Ops__Routes__projections__ConnectionString"] = connection,
            });
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }

    private static async Task ExecuteAsync(string admin, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
