using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Ops.Core.Consent;
using Ops.Core.Identity;

namespace Ops.Host.Tests;

/// <summary>POST /v1/packs/proposals against the built worker: refused folders get problem+json with findings; a passing one is a proposal committed through POST /v1/commits.</summary>
public sealed class HttpPackInstallTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("ops-http-packs-").FullName;

    [Fact]

    [Trait("Pack", "notes")]
    public async Task ProposeInstall_RefusedPackGetsFindings_PassingPackIsProposedAndCommitted()
    {
        var (_, initOutput) = await HostProcess.RunCliAsync(_work, null, "init");
        var key = initOutput.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ops_", StringComparison.Ordinal));
        var port = HostProcess.FreePort();
        await using var worker = await HostProcess.StartWorkerAsync(_work, port, null);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

        using var anonymous = await new HttpClient().PostAsJsonAsync($"http://127.0.0.1:{port}/v1/packs/proposals", new { folder = Path.Combine(PackHost.FixturePacks, "Ops.Packs.Rogue") });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        using var refused = await http.PostAsJsonAsync("/v1/packs/proposals", new { folder = Path.Combine(PackHost.FixturePacks, "Ops.Packs.Sneaky") });
        var problem = await refused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        using (var body = JsonDocument.Parse(problem))
        {
            Assert.Equal("pack_refused", body.RootElement.GetProperty("reason_code").GetString());
            Assert.Contains(body.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("rule").GetString() == "no-data-access" && f.GetProperty("type").GetString() == "Ops.Packs.Sneaky.DocumentEditor");
        }

        using var proposed = await http.PostAsJsonAsync("/v1/packs/proposals", new { folder = Path.Combine(PackHost.FixturePacks, "Ops.Packs.Rogue") });
        var proposalJson = await proposed.Content.ReadAsStringAsync();
        Assert.True(proposed.IsSuccessStatusCode, proposalJson);
        var proposal = JsonSerializer.Deserialize<Proposal>(proposalJson, OpsJson.Options)!;
        Assert.Equal(("core.InstallPack", "pack-rogue"), (proposal.Command.CommandType, proposal.Command.TargetRef));
        using var signer = ECDsa.Create();
        signer.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(HostProcess.UserConfigFolder(_work), "admin-signer.pem")));
        var interpretation = Assert.Single(proposal.Interpretations);
        var consent = ConsentSigning.Sign(signer, "admin", interpretation, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));

        using var committed = await http.PostAsync("/v1/commits", JsonContent.Create(new CommitRequest(proposal.Command, proposal.ProposedAt, interpretation.InterpretationId, interpretation.PreviewHash, consent), options: OpsJson.Options));
        Assert.True(committed.IsSuccessStatusCode, await committed.Content.ReadAsStringAsync());

        using var again = await http.PostAsJsonAsync("/v1/packs/proposals", new { folder = Path.Combine(PackHost.FixturePacks, "Ops.Packs.Rogue") });
        // The same command again: already committed, nothing proposed.
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using var packs = JsonDocument.Parse(await http.GetStringAsync("/v1/packs"));
        Assert.Contains(packs.RootElement.GetProperty("loaded").EnumerateArray(), p => p.GetProperty("pack_id").GetString() == "notes");
    }

    [Fact]
    public async Task Issue20_ProposeInstall_WithoutTheInstallRight_IsRefusedTheSameWay_WhetherTheFolderExistsOrNot()
    {
        Assert.Equal(0, (await HostProcess.RunCliAsync(_work, null, "init")).ExitCode);
        var (added, addOutput) = await HostProcess.RunCliAsync(_work, null, "actors", "add", "prober", "--kind", "agent");
        Assert.Equal(0, added);
        var key = addOutput.Split('\n').Select(l => l.Trim()).Last(l => l.StartsWith("ops_", StringComparison.Ordinal));
        var port = HostProcess.FreePort();
        await using var worker = await HostProcess.StartWorkerAsync(_work, port, null);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var unreadable = Directory.CreateDirectory(Path.Combine(_work, "unreadable-pack")).FullName;
        await File.WriteAllTextAsync(Path.Combine(unreadable, "pack.json"), "{not a manifest");

        // A real pack, a folder that does not exist, a folder with a broken manifest, and the worker's own data folder.
        string[] folders = [Path.Combine(PackHost.FixturePacks, "Ops.Packs.Rogue"), Path.Combine(_work, "no-such-folder"), unreadable, _work];
        var answers = new List<(HttpStatusCode Status, string? Code, string? Detail)>();
        foreach (var folder in folders)
        {
            using var response = await http.PostAsJsonAsync("/v1/packs/proposals", new { folder });
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            answers.Add((response.StatusCode, problem.RootElement.GetProperty("reason_code").GetString(), problem.RootElement.GetProperty("detail").GetString()));
        }

        Assert.Equal(HttpStatusCode.Forbidden, answers[0].Status);
        Assert.Equal("capability_denied", answers[0].Code);
        Assert.All(answers, a => Assert.Equal(answers[0], a));
        Assert.DoesNotContain("rogue", answers[0].Detail, StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }
}
