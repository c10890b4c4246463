using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Hosting;
using Ops.Testing;

namespace Ops.Core.Tests.Trust;

/// <summary>
/// Issue 8 item 1: the host's edge now goes through the public faces (<see cref="OpsRuntime"/>,
/// <see cref="OpsAdministration"/>) instead of kernel internals, so every check the worker relied on must hold there,
/// seen from the attacker's side: a revoked key, a narrower actor reading the log, a claimed tenant that is not the
/// caller's, recovery of an actor that does not exist. Each refusal is recorded and changes nothing else.
/// </summary>
public sealed class PublicFacesTests
{
    private static readonly CapabilityScope NotesOnly = new(["pack.notes.*"], ["*"], [SafetyClass.Read]);

    [Fact]
    public async Task AuthenticateAsync_RefusesARevokedKey_RecordsItsUse_AndStillAcceptsTheOtherKey()
    {
        await using var h = await KernelHarness.StartAsync();
        var runtime = new OpsRuntime(h.Kernel);
        await h.AddActorAsync("svc", NotesOnly, ActorKind.Service);
        var (kept, leaked) = (OpsAdministration.NewApiKey(), OpsAdministration.NewApiKey());
        Assert.True((await h.SendAsync("core.IssueApiKey", null, new IssueApiKey(kept.KeyId, "svc", kept.SecretSha256))).IsAccepted);
        Assert.True((await h.SendAsync("core.IssueApiKey", null, new IssueApiKey(leaked.KeyId, "svc", leaked.SecretSha256))).IsAccepted);
        Assert.True((await h.SendAsync("core.RevokeApiKey", null, new RevokeApiKey(leaked.KeyId, "leaked"))).IsAccepted);
        var before = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);

        var refused = await Assert.ThrowsAsync<OpsException>(() => runtime.AuthenticateAsync(leaked.Token, "GET /v1/status", "203.0.113.9", CancellationToken.None));
        await h.Kernel.Safety.FlushAsync(all: true, CancellationToken.None);

        Assert.Equal(ReasonCodes.Unauthenticated, refused.Code);
        var record = Assert.Single(await h.SafetyRecordsAfterAsync(before));
        Assert.Equal("svc", record.ActorId);
        Assert.Equal("203.0.113.9", record.Claimed);
        Assert.Equal(before, await h.MutationHeadAsync());
        Assert.Equal(new ActorRef("svc", ActorKind.Service), await runtime.AuthenticateAsync(kept.Token, "GET /v1/status", "203.0.113.9", CancellationToken.None));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ops_")]
    [InlineData("Bearer ops_0123456789ab_0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("ops_0123456789ab_0123456789abcdef0123456789abcdef0123456789abcdeF")]
    [InlineData("ops_0123456789ab_0123456789abcdef0123456789abcdef0123456789abcdef")]
    public async Task AuthenticateAsync_AMalformedOrUnknownKey_IsRefused_WithoutASafetyRecord(string token)
    {
        await using var h = await KernelHarness.StartAsync();
        var before = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);

        var refused = await Assert.ThrowsAsync<OpsException>(() => new OpsRuntime(h.Kernel).AuthenticateAsync(token, "GET /v1/status", "203.0.113.9", CancellationToken.None));
        await h.Kernel.Safety.FlushAsync(all: true, CancellationToken.None);

        Assert.Equal(ReasonCodes.Unauthenticated, refused.Code);
        Assert.Equal(before, await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ANarrowerActor_CannotReadTheLogOrTheAudit_AndEachTryIsRecorded()
    {
        await using var h = await KernelHarness.StartAsync();
        var runtime = new OpsRuntime(h.Kernel);
        var (reader, _) = await h.AddActorAsync("reader", NotesOnly);
        var before = await h.MutationHeadAsync();

        var events = await Assert.ThrowsAsync<OpsException>(() => runtime.ReadEventsAsync(reader, 0, 10, CancellationToken.None));
        var audit = await Assert.ThrowsAsync<OpsException>(() => runtime.ReadAuditAsync(reader, null, null, null, null, CancellationToken.None));
        var install = await Assert.ThrowsAsync<OpsException>(() => runtime.AuthorizeAsync(reader with { Route = "POST /v1/packs/proposals" }, "core.InstallPack", "pack-notes", SafetyClass.WriteInternal, CancellationToken.None));
        await h.Kernel.Safety.FlushAsync(all: true, CancellationToken.None);

        Assert.All([events, audit, install], e => Assert.Equal(ReasonCodes.CapabilityDenied, e.Code));
        // Refusals coalesce per actor and reason code (seed 001, a bounded safety stream); every one is counted.
        var records = await h.SafetyRecordsAfterAsync(before);
        Assert.Equal(3, records.Sum(r => r.Count));
        Assert.All(records, r => Assert.Equal("reader", r.ActorId));
        Assert.Equal(before, await h.MutationHeadAsync());
        Assert.NotEmpty(await runtime.ReadEventsAsync(h.AdminCaller, 0, 10, CancellationToken.None));
    }

    [Theory]
    [InlineData(-1, 10)]
    [InlineData(0, 0)]
    [InlineData(0, 1001)]
    public async Task ReadEventsAsync_OutOfBounds_IsABadRequest_EvenForTheAdmin(long after, int limit)
    {
        await using var h = await KernelHarness.StartAsync();

        var refused = await Assert.ThrowsAsync<OpsException>(() => new OpsRuntime(h.Kernel).ReadEventsAsync(h.AdminCaller, after, limit, CancellationToken.None));

        Assert.Equal(ReasonCodes.BadRequest, refused.Code);
    }

    [Theory]
    [InlineData("tenant_id", "other-tenant")]
    [InlineData("actor_id", "admin")]
    [InlineData("user_id", "root")]
    [InlineData("mode", "production")]
    [InlineData("surface_id", "cli")]
    public async Task CheckIdentityClaimAsync_AClaimThatIsNotTheCallers_IsRefusedAndRecorded(string field, string claimed)
    {
        await using var h = await KernelHarness.StartAsync();
        var (reader, _) = await h.AddActorAsync("reader", NotesOnly, tenantId: "acme");
        var before = await h.MutationHeadAsync();

        var refused = await Assert.ThrowsAsync<OpsException>(() => new OpsRuntime(h.Kernel).CheckIdentityClaimAsync(reader, field, claimed, CancellationToken.None));
        await h.Kernel.Safety.FlushAsync(all: true, CancellationToken.None);

        Assert.Equal(ReasonCodes.IdentityMismatch, refused.Code);
        var record = Assert.Single(await h.SafetyRecordsAfterAsync(before));
        Assert.Equal((field, claimed), (record.Field, record.Claimed));
        Assert.Equal(before, await h.MutationHeadAsync());
    }

    [Fact]
    public async Task CheckIdentityClaimAsync_TheCallersOwnValues_Pass_AndAnUnknownFieldIsAProgrammingError()
    {
        await using var h = await KernelHarness.StartAsync();
        var runtime = new OpsRuntime(h.Kernel);
        var (reader, _) = await h.AddActorAsync("reader", NotesOnly, tenantId: "acme");

        await runtime.CheckIdentityClaimAsync(reader, "tenant_id", "acme", CancellationToken.None);
        await runtime.CheckIdentityClaimAsync(reader, "actor_id", "reader", CancellationToken.None);
        await runtime.CheckIdentityClaimAsync(reader, "mode", runtime.Mode, CancellationToken.None);

        await Assert.ThrowsAsync<ArgumentException>(() => runtime.CheckIdentityClaimAsync(reader, "role", "admin", CancellationToken.None));
    }

    [Fact]
    public async Task Administration_ViewsTellWhoHoldsWhat_AndRecoveringAnUnknownActorChangesNothing()
    {
        await using var h = await KernelHarness.StartAsync();
        var admin = new OpsAdministration(h.Kernel);
        var (_, capability) = await h.AddActorAsync("reader", NotesOnly, tenantId: "acme");
        Assert.True((await h.SendAsync("core.DisableActor", null, new DisableActor("reader", "left"))).IsAccepted);
        Assert.True((await h.SendAsync("core.RevokeCapability", null, new RevokeCapability(capability, "left"))).IsAccepted);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var now = h.Time.GetUtcNow();

        var actors = await admin.ActorsAsync(now, CancellationToken.None);
        var capabilities = await admin.CapabilitiesAsync(now, CancellationToken.None);
        var head = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);
        var recover = await Assert.ThrowsAsync<OpsException>(() => admin.RecoverAsync("mallory", Convert.ToBase64String(h.KeyOf("admin").ExportSubjectPublicKeyInfo()), "break-glass", CancellationToken.None));

        Assert.Equal(["admin", "reader"], actors.Select(a => a.ActorId));
        Assert.NotNull(actors.Single(a => a.ActorId == "reader").DisabledReason);
        Assert.Null(actors.Single(a => a.ActorId == "admin").DisabledReason);
        var readers = capabilities.Single(c => c.CapabilityId == capability);
        Assert.Equal("reader", readers.HolderActorId);
        Assert.NotNull(readers.InvalidReason);
        Assert.Equal(ReasonCodes.UnknownActor, recover.Code);
        Assert.Equal(head, await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None));
        Assert.Equal("reader", admin.Caller("reader", "cli").Actor.Id);
        Assert.Equal(ReasonCodes.UnknownActor, Assert.Throws<OpsException>(() => admin.Caller("mallory", "cli")).Code);
    }

    [Fact]
    public async Task Administration_CallerWithoutAnAdmin_SaysRunInit()
    {
        await using var h = await KernelHarness.StartAsync(initialize: false);

        var refused = Assert.Throws<OpsException>(() => new OpsAdministration(h.Kernel).Caller(null, "cli"));

        Assert.Equal(ReasonCodes.UnknownActor, refused.Code);
        Assert.Contains("run 'init' first", refused.Message, StringComparison.Ordinal);
    }
}
