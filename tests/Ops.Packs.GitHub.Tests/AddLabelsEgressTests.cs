using System.Net.Http.Headers;
using Ops.Core.Egress;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Packs.GitHub.Contracts;
using Ops.Testing;

namespace Ops.Packs.GitHub.Tests;

/// <summary>
/// Issue 10 item 3: <c>pack.github.issues.AddLabels</c> goes out only through the outbox, to the recorded
/// add-labels-to-issue scenario of the real fixtures server, which refuses any request that differs from the
/// recording (method, path, body bytes, Accept, the token): an executed receipt proves the exact request went out.
/// </summary>
public sealed class AddLabelsEgressTests(GitHubFixtureServer server) : IClassFixture<GitHubFixtureServer>
{
    private const string Repository = "octokit-fixture-org/add-labels-to-issue";
    private const string RecordedToken = "0000000000000000000000000000000000000001";

    private static ActorRef Admin => new("admin", ActorKind.Human);

    [Fact]
    public async Task AddLabels_Approved_IsTheRecordedRequest_ExecutedWithReceipt_AndTheTokenOnlyAsAHandle()
    {
        var baseUrl = await ScenarioWithIssueAsync();
        await using var h = await StartAsync(baseUrl);

        var outcome = await h.SendAsync(AddLabelsNames.AddLabels, null, new AddLabels(Repository, 1, ["Foo", "bAr", "baZ"]));
        Assert.True(outcome.IsAccepted, outcome.Reason);
        var request = Assert.Single(await h.Kernel.Operations.ListAsync("pending", 10, h.AdminCaller.Actor, CancellationToken.None));
        Assert.Equal(0, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));
        await h.Kernel.Operations.ApproveAsync(request.RequestId, EgressApproval.Sign(h.KeyOf("admin"), "admin", request.RequestId, request.RequestHash, h.Time.GetUtcNow(), TimeSpan.FromMinutes(5)), Admin, CancellationToken.None);
        Assert.Equal(1, await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None));

        Assert.Equal("executed", (await h.Kernel.Operations.GetAsync(request.RequestId, h.AdminCaller.Actor, CancellationToken.None))!.Status);
        var stream = await h.Kernel.EventLog.ReadStreamAsync(EgressEventTypes.StreamOf(request.RequestId), CancellationToken.None);
        var receipt = Assert.Single(stream, e => e.Envelope.EventType == EgressEventTypes.Executed).Envelope.PayloadAs<EgressReceipt>();
        Assert.Equal((200, "admin", request.RequestHash), (receipt.StatusCode, receipt.ApprovedBy, receipt.RequestHash));
        var issued = Assert.Single(stream, e => e.Envelope.EventType == EgressEventTypes.CredentialIssued).Envelope.PayloadAs<EgressCredentialIssued>();
        Assert.Equal(GitHubNames.TokenSecretId, issued.SecretId);
        Assert.Equal(new Uri(baseUrl).GetLeftPart(UriPartial.Authority), issued.Audience);
        Assert.True(issued.ExpiresAt > issued.IssuedAt);
        var all = await h.Kernel.EventLog.ReadAsync(0, 10_000, CancellationToken.None);
        Assert.DoesNotContain(all, e => e.Envelope.Payload.GetRawText().Contains(RecordedToken, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddLabels_ADifferentRequest_IsRefusedByTheRecording_AndFailsWithAReceipt()
    {
        var baseUrl = await ScenarioWithIssueAsync();
        await using var h = await StartAsync(baseUrl);

        Assert.True((await h.SendAsync(AddLabelsNames.AddLabels, null, new AddLabels(Repository, 1, ["Foo", "bar"]))).IsAccepted);
        var request = Assert.Single(await h.Kernel.Operations.ListAsync("pending", 10, h.AdminCaller.Actor, CancellationToken.None));
        await h.Kernel.Operations.ApproveAsync(request.RequestId, EgressApproval.Sign(h.KeyOf("admin"), "admin", request.RequestId, request.RequestHash, h.Time.GetUtcNow(), TimeSpan.FromMinutes(5)), Admin, CancellationToken.None);
        await h.Kernel.EgressDispatcher.RunOnceAsync(CancellationToken.None);

        var stream = await h.Kernel.EventLog.ReadStreamAsync(EgressEventTypes.StreamOf(request.RequestId), CancellationToken.None);
        var failed = Assert.Single(stream, e => e.Envelope.EventType == EgressEventTypes.Failed).Envelope.PayloadAs<EgressReceipt>();
        Assert.Equal(404, failed.StatusCode);
        Assert.DoesNotContain(stream, e => e.Envelope.EventType == EgressEventTypes.Executed);
    }

    /// <summary>The scenario, with its first recorded step (creating issue 1) done by the test, as the recording's own test does.</summary>
    private async Task<string> ScenarioWithIssueAsync()
    {
        var baseUrl = await server.ScenarioAsync("add-labels-to-issue");
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/") };
        using var create = new HttpRequestMessage(HttpMethod.Post, $"repos/{Repository}/issues") { Content = new ByteArrayContent("{\"title\":\"Issue without a label\"}"u8.ToArray()) };
        create.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        create.Headers.Accept.ParseAdd("application/vnd.github.v3+json");
        create.Headers.Authorization = new AuthenticationHeaderValue("token", RecordedToken);
        using var created = await http.SendAsync(create);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        return baseUrl.TrimEnd('/') + "/";
    }

    private static Task<KernelHarness> StartAsync(string baseUrl) =>
        KernelHarness.StartAsync([new GitHubPack()], new Dictionary<string, string?>
        {
            ["Ops:Packs:github:BaseUrl"] = baseUrl,
            ["Ops:Packs:github:Repository"] = Repository,
            ["Ops:Secrets:github_token"] = RecordedToken,
            ["Ops:Egress:Destinations:github:BaseUrl"] = baseUrl,
            ["Ops:Egress:Destinations:github:SecretId"] = GitHubNames.TokenSecretId,
            ["Ops:Egress:Destinations:github:Scheme"] = "token",
        });
}
