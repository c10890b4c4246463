using System.Text.Json;
using Ops.Core.Capabilities;
using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Testing;

namespace Ops.Core.Tests.Trust;

/// <summary>Issue 7, "input and error hygiene": documented limits on every envelope string, duplicate members, and a consent that covers what is stored.</summary>
public sealed class EnvelopeHygieneTests
{
    private static readonly RegisterActor Payload = new("bob", ActorKind.Human, "Bob");

    public static TheoryData<string, int> LimitedFields() => new()
    {
        { "correlation_id", EnvelopeLimits.CorrelationId },
        { "causation_id", EnvelopeLimits.CorrelationId },
        { "idempotency_key", EnvelopeLimits.IdempotencyKey },
        { "target_ref", EnvelopeLimits.TargetRef },
        { "scope.project_id", EnvelopeLimits.ScopeId },
        { "scope.run_id", EnvelopeLimits.ScopeId },
        { "scope.user_id", EnvelopeLimits.Identity },
        { "actor.id", EnvelopeLimits.Identity },
        { "dedupe_scope.key", EnvelopeLimits.DedupeKey },
    };

    [Theory]
    [MemberData(nameof(LimitedFields))]
    public async Task FieldOverItsLimit_RefusedAsInvalidEnvelope_AtItsLimit_NotForLength(string field, int limit)
    {
        await using var h = await KernelHarness.StartAsync();
        var head = await h.MutationHeadAsync();

        var over = await h.ProposeAsync(With(field, new string('a', limit + 1)));
        var atLimit = await h.ProposeAsync(With(field, new string('a', limit)));

        Assert.Equal("invalid_envelope", over.Rejection?.ReasonCode);
        Assert.Contains(field.Split('.')[^1], over.Rejection!.Reason, StringComparison.Ordinal);
        Assert.NotEqual("invalid_envelope", atLimit.Rejection?.ReasonCode);
        Assert.Equal(head, await h.MutationHeadAsync());
    }

    [Fact]
    public void DuplicateMemberNames_AnywhereInARequest_AreRefusedByTheParser()
    {
        const string Body = """{"command_type":"core.RegisterActor","payload":{"actor_id":"bob","actor_id":"admin","kind":"human","display_name":"B"}}""";

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<CommandEnvelope>(Body, OpsJson.Options));
    }

    [Fact]
    public async Task CommitWithACorrelationIdOtherThanTheProposals_IsAPreviewMismatch()
    {
        await using var h = await KernelHarness.StartAsync();
        var proposal = (await h.ProposeAsync("core.RegisterActor", null, Payload)).Proposal!;
        var interpretation = proposal.Interpretations[0];

        var tampered = await h.CommitAsync(proposal with { Command = proposal.Command with { CorrelationId = "someone-elses-trace" } }, interpretation, h.Sign(interpretation));

        Assert.Equal("preview_mismatch", tampered.Outcome.ReasonCode);
    }

    [Fact]
    public async Task PolicyCommit_WithAClientProposedAt_IsRefused()
    {
        await using var h = await KernelHarness.StartAsync();
        var request = new CommitRequest(KernelHarness.Envelope("core.RegisterActor", null, Payload), h.Time.GetUtcNow().AddMinutes(-14), null, null, new ConsentGrant(ConsentKind.Policy, PolicyId: new string('1', 64), PolicyVersion: 1));

        var result = await h.Kernel.Gateway.CommitAsync(request, h.AdminCaller, CancellationToken.None);

        Assert.Equal("invalid_envelope", result.Outcome.ReasonCode);
        Assert.Contains("server's clock", result.Outcome.Reason, StringComparison.Ordinal);
    }

    private static CommandEnvelope With(string field, string value)
    {
        var e = KernelHarness.Envelope("core.RegisterActor", null, Payload);
        return field switch
        {
            "correlation_id" => e with { CorrelationId = value },
            "causation_id" => e with { CausationId = value, CausationType = CausationType.UserAction },
            "idempotency_key" => e with { IdempotencyKey = value },
            "target_ref" => e with { TargetRef = value },
            "scope.project_id" => e with { Scope = new IdentityScope("acme", "system", "admin", "test", value) },
            "scope.run_id" => e with { Scope = new IdentityScope("acme", "system", "admin", "test", null, value) },
            "scope.user_id" => e with { Scope = new IdentityScope("acme", "system", value, "test") },
            "actor.id" => e with { Actor = new ActorRef(value, ActorKind.Human) },
            _ => e with { DedupeScope = new DedupeScope(DedupeScopeKind.Command, value) },
        };
    }
}
