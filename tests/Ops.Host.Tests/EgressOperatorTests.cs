using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Ops.Core.Egress;
using Ops.Core.Identity;

namespace Ops.Host.Tests;

/// <summary>
/// The operator's egress routes and CLI (issue 10 item 2) against the real worker process, attacker side first: a caller
/// without the egress capabilities, another tenant's operator holding every egress capability, and a second approval
/// are refused with problem+json (403, 409) or exit code 1, and nothing moves; then list, approve, reject, hold/release
/// and kill-switch engage/release work, with exit code 0, and a malformed call is a usage error (400, exit code 2).
/// The worker runs with the dispatcher off, so every status seen is the operator's doing.
/// </summary>
public sealed class EgressOperatorTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("ops-egress-operator-").FullName;

    private static readonly Dictionary<string, string> NoDispatch = new()
    {
        ["Ops__Egress__Dispatch"] = "false",
        ["Ops__Egress__Destinations__github__BaseUrl"] = "http://127.0.0.1:9/",
    };

    private Task<(int ExitCode, string Output)> Cli(params string[] args) => HostProcess.RunCliAsync(_work, NoDispatch, args);

    [Fact]
    public async Task Http_RefusesCallersWithoutCapability_OtherTenantsOperators_AndSecondApprovals_ThenEveryOperatorMoveWorks()
    {
        var (admin, mallory, gus) = await ActorsAsync();
        var port = HostProcess.FreePort();
        await using var worker = await HostProcess.StartWorkerAsync(_work, port, NoDispatch);
        using var asAdmin = Client(port, admin);
        using var asMallory = Client(port, mallory);
        using var asGus = Client(port, gus);
        using var signer = await SignerAsync();
        for (var issue = 1; issue <= 3; issue++)
        {
            await EgressHttp.CommitAddLabelsAsync(asAdmin, signer, "octo/operator", issue);
        }

        var pending = await EgressHttp.ListAsync(asAdmin, "pending");
        Assert.Equal(3, pending.Count);
        var (a, b, c) = (pending[0], pending[1], pending[2]);

        // Attacker side: no capability, another tenant's operator; nothing moves.
        foreach (var attacker in new[] { asMallory, asGus })
        {
            await AssertProblemAsync(HttpStatusCode.Forbidden, "capability_denied", await attacker.PostAsync($"/v1/egress/{a.RequestId}/approve", Consent(signer, a)));
            await AssertProblemAsync(HttpStatusCode.Forbidden, "capability_denied", await attacker.PostAsJsonAsync($"/v1/egress/{a.RequestId}/hold", new { reason = "mine" }));
            await AssertProblemAsync(HttpStatusCode.Forbidden, "capability_denied", await attacker.PostAsJsonAsync($"/v1/egress/{b.RequestId}/reject", new { reason = "mine" }));

            // Nor may they read the requests: a list leaves them out, a read says not found, as for one that does not exist.
            Assert.Empty(await EgressHttp.ListAsync(attacker, null));
            await AssertProblemAsync(HttpStatusCode.NotFound, "not_found", await attacker.GetAsync($"/v1/egress/{a.RequestId}"));
        }

        await AssertProblemAsync(HttpStatusCode.Forbidden, "capability_denied", await asMallory.PostAsJsonAsync("/v1/egress-switches", new { scope = "global", reason = "mine" }));
        await AssertProblemAsync(HttpStatusCode.Forbidden, "capability_denied", await asMallory.DeleteAsync("/v1/egress-switches/global"));
        Assert.All(await EgressHttp.ListAsync(asAdmin, null), r => Assert.Equal("pending", r.Status));

        // Approve once; a second approval (a fresh signature) and a rejection of the approved request conflict.
        Assert.Equal("approved", (await ViewAsync(await asAdmin.PostAsync($"/v1/egress/{a.RequestId}/approve", Consent(signer, a)))).Status);
        await AssertProblemAsync(HttpStatusCode.Conflict, "egress_state_conflict", await asAdmin.PostAsync($"/v1/egress/{a.RequestId}/approve", Consent(signer, a)));
        await AssertProblemAsync(HttpStatusCode.Conflict, "egress_state_conflict", await asAdmin.PostAsJsonAsync($"/v1/egress/{a.RequestId}/reject", new { reason = "late" }));

        Assert.Equal("rejected", (await ViewAsync(await asAdmin.PostAsJsonAsync($"/v1/egress/{b.RequestId}/reject", new { reason = "wrong repo" }))).Status);
        await AssertProblemAsync(HttpStatusCode.Conflict, "egress_state_conflict", await asAdmin.PostAsJsonAsync($"/v1/egress/{b.RequestId}/hold", new { reason = "x" }));
        var held = await ViewAsync(await asAdmin.PostAsJsonAsync($"/v1/egress/{a.RequestId}/hold", new { reason = "check" }));
        Assert.Equal(("held", "approved"), (held.Status, held.HeldFrom));
        Assert.Equal("approved", (await ViewAsync(await asAdmin.PostAsJsonAsync($"/v1/egress/{a.RequestId}/release", new { reason = "checked" }))).Status);

        // The kill switch holds a (approved) and c (pending); a covered request cannot be released; releasing the switch brings both back.
        Assert.Equal(2, await RequestsOfAsync(await asAdmin.PostAsJsonAsync("/v1/egress-switches", new { scope = "global", reason = "incident" })));
        Assert.All((await EgressHttp.ListAsync(asAdmin, null)).Where(r => r.RequestId != b.RequestId), r => Assert.Equal("held", r.Status));
        await AssertProblemAsync(HttpStatusCode.Conflict, "egress_switch_engaged", await asAdmin.PostAsJsonAsync($"/v1/egress/{c.RequestId}/release", new { reason = "try" }));
        using (var switches = await asAdmin.GetAsync("/v1/egress-switches"))
        {
            Assert.Contains("\"global\"", await switches.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(2, await RequestsOfAsync(await asAdmin.DeleteAsync("/v1/egress-switches/global")));
        await AssertProblemAsync(HttpStatusCode.NotFound, "not_found", await asAdmin.DeleteAsync("/v1/egress-switches/global"));
        Assert.Equal(("approved", "rejected", "pending"), await StatusesAsync(asAdmin, a, b, c));

        // Malformed calls: a bad scope, no reason, an unknown request, a limit out of range.
        await AssertProblemAsync(HttpStatusCode.BadRequest, "bad_request", await asAdmin.PostAsJsonAsync("/v1/egress-switches", new { scope = "everything", reason = "x" }));
        await AssertProblemAsync(HttpStatusCode.BadRequest, "bad_request", await asAdmin.PostAsJsonAsync($"/v1/egress/{c.RequestId}/hold", new { reason = string.Empty }));
        await AssertProblemAsync(HttpStatusCode.NotFound, "not_found", await asAdmin.PostAsJsonAsync($"/v1/egress/{new string('0', 64)}/hold", new { reason = "x" }));
        await AssertProblemAsync(HttpStatusCode.BadRequest, "bad_request", await asAdmin.GetAsync("/v1/egress?limit=0"));
        Assert.Equal(("approved", "rejected", "pending"), await StatusesAsync(asAdmin, a, b, c));
    }

    [Fact]
    public async Task Cli_RefusesCallersWithoutCapability_OtherTenantsOperators_AndSecondApprovals_WithExitCode1_AndUsageErrorsWithExitCode2()
    {
        var (admin, _, _) = await ActorsAsync();
        IReadOnlyList<EgressRequestView> pending;
        var port = HostProcess.FreePort();
        await using (var worker = await HostProcess.StartWorkerAsync(_work, port, NoDispatch))
        {
            using var asAdmin = Client(port, admin);
            using var signer = await SignerAsync();
            await EgressHttp.CommitAddLabelsAsync(asAdmin, signer, "octo/cli", 1);
            await EgressHttp.CommitAddLabelsAsync(asAdmin, signer, "octo/cli", 2);
            pending = await EgressHttp.ListAsync(asAdmin, "pending");
        }

        var (a, b) = (pending[0].RequestId, pending[1].RequestId);
        var list = await Cli("egress", "list", "--status", "pending");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains(a, list.Output, StringComparison.Ordinal);
        Assert.Contains(b, list.Output, StringComparison.Ordinal);

        // Attacker side: mallory holds no egress capability; gus (tenant globex) holds all of them, but not on this tenant.
        foreach (var attacker in new[] { "mallory", "gus" })
        {
            var hold = await Cli("--as", attacker, "egress", "hold", a, "--reason", "mine");
            Assert.Equal(1, hold.ExitCode);
            Assert.Contains(attacker == "gus" ? "another tenant" : "holds no capability", hold.Output, StringComparison.Ordinal);
            Assert.Equal(1, (await Cli("--as", attacker, "egress", "reject", b, "--reason", "mine")).ExitCode);
            var peek = await Cli("--as", attacker, "egress", "list");
            Assert.Equal(0, peek.ExitCode);
            Assert.DoesNotContain(a, peek.Output, StringComparison.Ordinal);
            Assert.Equal(1, (await Cli("--as", attacker, "egress", "show", a)).ExitCode);
        }

        Assert.Equal(1, (await Cli("--as", "mallory", "egress", "switch", "engage", "global", "--reason", "mine")).ExitCode);
        Assert.Contains("pending", (await Cli("egress", "show", a)).Output, StringComparison.Ordinal);

        Assert.Equal(0, (await Cli("egress", "approve", a)).ExitCode);
        var twice = await Cli("egress", "approve", a);
        Assert.Equal(1, twice.ExitCode);
        Assert.Contains("only a request that is pending", twice.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await Cli("egress", "hold", a, "--reason", "check")).ExitCode);
        Assert.Equal(0, (await Cli("egress", "release", a, "--reason", "checked")).ExitCode);
        Assert.Equal(0, (await Cli("egress", "reject", b, "--reason", "wrong repo")).ExitCode);
        Assert.Equal(1, (await Cli("egress", "reject", b, "--reason", "again")).ExitCode);

        var engaged = await Cli("egress", "switch", "engage", "destination:github", "--reason", "incident");
        Assert.Equal(0, engaged.ExitCode);
        Assert.Contains("1 requests held", engaged.Output, StringComparison.Ordinal);
        Assert.Contains("destination:github", (await Cli("egress", "switch", "list")).Output, StringComparison.Ordinal);
        Assert.Equal(1, (await Cli("egress", "release", a, "--reason", "try")).ExitCode);
        Assert.Equal(0, (await Cli("egress", "switch", "release", "destination:github")).ExitCode);
        Assert.Equal(1, (await Cli("egress", "switch", "release", "destination:github")).ExitCode);
        Assert.Equal(1, (await Cli("egress", "show", new string('0', 64))).ExitCode);

        // Usage errors: the parser's, before anything is opened.
        Assert.Equal(2, (await Cli("egress", "approve")).ExitCode);
        Assert.Equal(2, (await Cli("egress", "hold", a)).ExitCode);
        Assert.Equal(2, (await Cli("egress", "switch", "engage", "global")).ExitCode);

        var after = await Cli("egress", "list");
        Assert.Matches($"{a}  approved ", after.Output);
        Assert.Matches($"{b}  rejected ", after.Output);
    }

    /// <summary>init (admin), mallory (same tenant, no capability) and gus (tenant globex, every egress capability on egress:*); their API keys.</summary>
    private async Task<(string Admin, string Mallory, string Gus)> ActorsAsync()
    {
        var admin = KeyOf((await Cli("init")).Output);
        var mallory = KeyOf((await Cli("actors", "add", "mallory", "--kind", "human")).Output);
        var gus = KeyOf((await Cli("actors", "add", "gus", "--kind", "human", "--tenant", "globex")).Output);
        var granted = await Cli("capabilities", "grant", "gus", "--types", "core.ApproveEgress", "core.OperateEgress", "--targets", "egress:*", "--safety", "WriteInternal");
        Assert.True(granted.ExitCode == 0, granted.Output);
        return (admin, mallory, gus);
    }

    private async Task<ECDsa> SignerAsync()
    {
        var signer = ECDsa.Create();
        signer.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(HostProcess.UserConfigFolder(_work), "admin-signer.pem")));
        return signer;
    }

    private static JsonContent Consent(ECDsa signer, EgressRequestView request) =>
        JsonContent.Create(EgressApproval.Sign(signer, "admin", request.RequestId, request.RequestHash, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)), options: OpsJson.Options);

    private static async Task AssertProblemAsync(HttpStatusCode status, string reasonCode, HttpResponseMessage response)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(body);
            Assert.Equal(reasonCode, problem.RootElement.GetProperty("reason_code").GetString());
        }
    }

    private static async Task<EgressRequestView> ViewAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            return JsonSerializer.Deserialize<EgressRequestView>(body, OpsJson.Options)!;
        }
    }

    private static async Task<int> RequestsOfAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            using var change = JsonDocument.Parse(body);
            return change.RootElement.GetProperty("requests").GetInt32();
        }
    }

    private static async Task<(string, string, string)> StatusesAsync(HttpClient http, EgressRequestView a, EgressRequestView b, EgressRequestView c)
    {
        var all = (await EgressHttp.ListAsync(http, null)).ToDictionary(r => r.RequestId, r => r.Status, StringComparer.Ordinal);
        return (all[a.RequestId], all[b.RequestId], all[c.RequestId]);
    }

    private static HttpClient Client(int port, string apiKey)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return http;
    }

    private static string KeyOf(string output) => output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ops_", StringComparison.Ordinal));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }
}
