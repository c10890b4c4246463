using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Ops.Core.Consent;
using Ops.Core.Identity;

namespace Ops.Host.Tests;

/// <summary>Propose and commit over HTTP against the built worker.</summary>
public sealed class HttpConsentTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("ops-http-consent-").FullName;

    [Fact]

    [Trait("Pack", "notes")]
    public async Task ProposeThenCommitOverHttp_AcceptedOnce_WriteWithoutConsentRefused_AuditListsIt()
    {
        var (_, initOutput) = await HostProcess.RunCliAsync(_work, null, "init");
        var key = initOutput.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ops_", StringComparison.Ordinal));
        var port = HostProcess.FreePort();
        await using var worker = await HostProcess.StartWorkerAsync(_work, port, null);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var command = new { command_type = "pack.notes.notes.CreateNote", target_ref = "note-new", payload = new { title = "Over HTTP", content = "x", content_type = "text", tags = Array.Empty<string>() } };

        using var direct = await http.PostAsJsonAsync("/v1/commands", command);
        Assert.Equal((HttpStatusCode)428, direct.StatusCode);
        Assert.Contains("consent_required", await direct.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var proposed = await http.PostAsJsonAsync("/v1/proposals", command);
        var proposalJson = await proposed.Content.ReadAsStringAsync();
        Assert.True(proposed.IsSuccessStatusCode, proposalJson);
        var proposal = JsonSerializer.Deserialize<Proposal>(proposalJson, OpsJson.Options)!;
        using var signer = ECDsa.Create();
        signer.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(HostProcess.UserConfigFolder(_work), "admin-signer.pem")));
        var interpretation = proposal.Interpretations[0];
        var consent = ConsentSigning.Sign(signer, "admin", interpretation, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
        var request = new CommitRequest(proposal.Command, proposal.ProposedAt, interpretation.InterpretationId, interpretation.PreviewHash, consent);

        using var committed = await http.PostAsync("/v1/commits", JsonContent.Create(request, options: OpsJson.Options));
        var body = await committed.Content.ReadAsStringAsync();
        Assert.True(committed.IsSuccessStatusCode, body);
        Assert.Contains("\"final_state\":{", body, StringComparison.Ordinal);
        using var again = await http.PostAsync("/v1/commits", JsonContent.Create(request, options: OpsJson.Options));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        using var audit = await http.GetAsync("/v1/audit?actor=admin&target=note-new");
        using var records = JsonDocument.Parse(await audit.Content.ReadAsStringAsync());
        var record = Assert.Single(records.RootElement.GetProperty("records").EnumerateArray());
        Assert.Equal("pack.notes.notes.CreateNote", record.GetProperty("record").GetProperty("action").GetString());
        Assert.Equal("admin", record.GetProperty("record").GetProperty("signer").GetString());
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }
}
