using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Capabilities;
using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Core.Packs.Install;
using Ops.Testing;

namespace Ops.Core.Tests.Trust;

/// <summary>
/// Issue 7, "object-bound authorization": generated from the registry. For every core command type, an attacker
/// whose capability covers exactly object A cannot act on object B through the payload, the target, or both; the
/// refusal appends only a safety record. A command type without a sample fails <see cref="EveryRegisteredCoreCommand_HasABindingSample"/>.
/// </summary>
public sealed class ObjectBindingTests
{
    private static readonly CapabilityScope Anything = CapabilityScope.All;

    private static readonly Dictionary<string, Func<KernelHarness, string, Task<BindingSample>>> Samples = new(StringComparer.Ordinal)
    {
        ["core.RegisterActor"] = (_, _) => Task.FromResult(new BindingSample(
            new("actor-newa", new RegisterActor("newa", ActorKind.Human, "A"), "actor-newa"),
            new("actor-newb", new RegisterActor("newb", ActorKind.Human, "B"), "actor-newb"),
            TargetFromPayload: true)),
        ["core.DisableActor"] = (_, _) => Task.FromResult(new BindingSample(
            new("actor-alice", new DisableActor("alice", "test"), "actor-alice"),
            new("actor-bob", new DisableActor("bob", "test"), "actor-bob"),
            TargetFromPayload: true)),
        ["core.EnableActor"] = async (h, _) =>
        {
            await Accept(h, "core.DisableActor", new DisableActor("alice", "test"));
            await Accept(h, "core.DisableActor", new DisableActor("bob", "test"));
            return new BindingSample(new("actor-alice", new EnableActor("alice"), "actor-alice"), new("actor-bob", new EnableActor("bob"), "actor-bob"), TargetFromPayload: true);
        },
        ["core.IssueApiKey"] = (_, _) => Task.FromResult(new BindingSample(
            new("actor-alice:*", new IssueApiKey("ka", "alice", new string('a', 64)), CoreRefs.ApiKey("alice", "ka")),
            new("actor-bob:*", new IssueApiKey("kb", "bob", new string('b', 64)), CoreRefs.ApiKey("bob", "kb")),
            TargetFromPayload: true)),
        ["core.RevokeApiKey"] = async (h, _) =>
        {
            await Accept(h, "core.IssueApiKey", new IssueApiKey("ka", "alice", new string('a', 64)));
            await Accept(h, "core.IssueApiKey", new IssueApiKey("kb", "bob", new string('b', 64)));
            return new BindingSample(
                new("actor-alice:*", new RevokeApiKey("ka", "test"), CoreRefs.ApiKey("alice", "ka")),
                new("actor-bob:*", new RevokeApiKey("kb", "test"), CoreRefs.ApiKey("bob", "kb")),
                TargetFromPayload: true);
        },
        ["core.GrantCapability"] = (_, _) => Task.FromResult(new BindingSample(
            new("actor-alice:*", new GrantCapability("alice", new CapabilityScope(["core.GrantCapability"], ["actor-alice:*"], [SafetyClass.WriteInternal])), "actor-alice:capability-x"),
            new("actor-bob:*", new GrantCapability("bob", new CapabilityScope(["core.GrantCapability"], ["actor-alice:*"], [SafetyClass.WriteInternal])), "actor-bob:capability-x"),
            TargetFromPayload: true)),
        [CoreCommands.DelegateCommandType] = async (h, attackerCapability) =>
        {
            var bobs = await CapabilityOf(h, "bob");
            var scope = new CapabilityScope([CoreCommands.DelegateCommandType], ["actor-alice:*"], [SafetyClass.WriteInternal]);
            return new BindingSample(
                new("actor-alice:*", new DelegateCapability(attackerCapability, "alice", scope), "actor-alice:capability-x"),
                new("actor-alice:*", new DelegateCapability(bobs, "alice", scope), "actor-bob:capability-x"),
                TargetFromPayload: true);
        },
        ["core.ChangeCapabilityScope"] = async (h, _) =>
        {
            var (alice, bob) = (await CapabilityOf(h, "alice"), await CapabilityOf(h, "bob"));
            var narrow = new CapabilityScope(["core.ChangeCapabilityScope"], ["actor-alice:*"], [SafetyClass.WriteInternal]);
            return new BindingSample(
                new("actor-alice:*", new ChangeCapabilityScope(alice, narrow), CoreRefs.Capability("alice", alice)),
                new("actor-bob:*", new ChangeCapabilityScope(bob, narrow), CoreRefs.Capability("bob", bob)),
                TargetFromPayload: true);
        },
        ["core.RevokeCapability"] = async (h, _) =>
        {
            var (alice, bob) = (await CapabilityOf(h, "alice"), await CapabilityOf(h, "bob"));
            return new BindingSample(
                new("actor-alice:*", new RevokeCapability(alice, "test"), CoreRefs.Capability("alice", alice)),
                new("actor-bob:*", new RevokeCapability(bob, "test"), CoreRefs.Capability("bob", bob)),
                TargetFromPayload: true);
        },
        ["core.RegisterSignerKey"] = (_, _) =>
        {
            var (a, aId) = NewPublicKey();
            var (b, bId) = NewPublicKey();
            return Task.FromResult(new BindingSample(
                new("actor-alice:*", new RegisterSignerKey("alice", a), CoreRefs.SignerKey("alice", aId)),
                new("actor-bob:*", new RegisterSignerKey("bob", b), CoreRefs.SignerKey("bob", bId)),
                TargetFromPayload: true));
        },
        ["core.RevokeSignerKey"] = async (h, _) =>
        {
            var (alice, bob) = (await h.RegisterKeyAsync("alice"), await h.RegisterKeyAsync("bob"));
            return new BindingSample(
                new("actor-alice:*", new RevokeSignerKey(alice, "test"), CoreRefs.SignerKey("alice", alice)),
                new("actor-bob:*", new RevokeSignerKey(bob, "test"), CoreRefs.SignerKey("bob", bob)),
                TargetFromPayload: true);
        },
        ["core.RotateSignerKey"] = async (h, _) =>
        {
            var (alice, bob) = (await h.RegisterKeyAsync("alice"), await h.RegisterKeyAsync("bob"));
            return new BindingSample(
                new("actor-alice:*", new RotateSignerKey(alice, NewPublicKey().Spki), CoreRefs.SignerKey("alice", alice)),
                new("actor-bob:*", new RotateSignerKey(bob, NewPublicKey().Spki), CoreRefs.SignerKey("bob", bob)),
                TargetFromPayload: true);
        },
        ["core.CreatePolicy"] = (_, _) => Task.FromResult(new BindingSample(
            new("policy-pa", new CreatePolicy("pa", new PolicyScope(["pack.x.*"], ["*"], ["*"])), "policy-pa"),
            new("policy-pb", new CreatePolicy("pb", new PolicyScope(["pack.x.*"], ["*"], ["*"])), "policy-pb"),
            TargetFromPayload: true)),
        ["core.ActivatePolicy"] = async (h, _) =>
        {
            var (pa, pb) = (await PolicyAsync(h, "pa", activate: false), await PolicyAsync(h, "pb", activate: false));
            return new BindingSample(new("policy-pa", new ActivatePolicy(pa, 1), "policy-pa"), new("policy-pb", new ActivatePolicy(pb, 1), "policy-pb"), TargetFromPayload: true);
        },
        ["core.DeprecatePolicy"] = async (h, _) =>
        {
            var (pa, pb) = (await PolicyAsync(h, "pa", activate: true), await PolicyAsync(h, "pb", activate: true));
            return new BindingSample(new("policy-pa", new DeprecatePolicy(pa, 1), "policy-pa"), new("policy-pb", new DeprecatePolicy(pb, 1), "policy-pb"), TargetFromPayload: true);
        },
        ["core.InstallPack"] = (_, _) => Task.FromResult(new BindingSample(
            new("pack-pa", Install("pa"), "pack-pa"),
            new("pack-pb", Install("pb"), "pack-pb"),
            TargetFromPayload: true)),
        ["core.RemovePack"] = async (h, _) =>
        {
            await Accept(h, "core.InstallPack", Install("pa"));
            await Accept(h, "core.InstallPack", Install("pb"));
            return new BindingSample(new("pack-pa", new RemovePack("pa", "test"), "pack-pa"), new("pack-pb", new RemovePack("pb", "test"), "pack-pb"), TargetFromPayload: true);
        },
    };

    public static TheoryData<string> CoreCommandTypes()
    {
        var data = new TheoryData<string>();
        foreach (var name in KernelRegistryFactory.CreateWithCore(TimeProvider.System, NullLoggerFactory.Instance).Commands.Keys.Order(StringComparer.Ordinal))
        {
            data.Add(name);
        }

        return data;
    }

    [Fact]
    public void EveryRegisteredCoreCommand_HasABindingSample()
    {
        var registered = KernelRegistryFactory.CreateWithCore(TimeProvider.System, NullLoggerFactory.Instance).Commands.Keys;
        Assert.Empty(registered.Except(Samples.Keys, StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(CoreCommandTypes))]
    public async Task CapabilityForObjectA_CannotActOnObjectB(string commandType)
    {
        await using var h = await KernelHarness.StartAsync();
        await h.AddActorAsync("alice", new CapabilityScope(["pack.x.*"], ["*"], [SafetyClass.Read]));
        await h.AddActorAsync("bob", new CapabilityScope(["pack.x.*"], ["*"], [SafetyClass.Read]));

        // The attacker's capability is made first so samples can name it (a delegation's parent). A command that spans
        // tenants (pack installs) needs a capability that names every tenant (ADR 0007): the attack is on the object.
        IReadOnlyList<string>? tenants = CapabilityEvaluator.SpansTenants(commandType) ? ["*"] : null;
        var (mallory, capability) = await h.AddActorAsync("mallory", new CapabilityScope([commandType], ["*"], [SafetyClass.WriteInternal], tenants));
        var sample = await Samples[commandType](h, capability);
        var narrowed = await h.SendAsync("core.ChangeCapabilityScope", null, new ChangeCapabilityScope(capability, new CapabilityScope([commandType], [sample.A.ScopeTarget], [SafetyClass.WriteInternal], tenants)));
        Assert.True(narrowed.IsAccepted, narrowed.Reason);

        var problems = await BindingAttacks.RunAsync(h, mallory, commandType, sample);

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    private static InstallPack Install(string id) => new(id, "1.0.0", new string(id[1], 64), [], [], "/packs/" + id, null);

    private static async Task Accept(KernelHarness h, string type, object payload)
    {
        var outcome = await h.SendAsync(type, null, payload);
        Assert.True(outcome.IsAccepted, outcome.Reason);
    }

    private static async Task<string> CapabilityOf(KernelHarness h, string actor)
    {
        var core = await h.Kernel.CoreReader.CurrentAsync(CancellationToken.None);
        return core.CapabilitiesOf(actor)[0];
    }

    private static async Task<string> PolicyAsync(KernelHarness h, string name, bool activate)
    {
        await Accept(h, "core.CreatePolicy", new CreatePolicy(name, new PolicyScope(["pack.x.*"], ["*"], ["*"])));
        var core = await h.Kernel.CoreReader.CurrentAsync(CancellationToken.None);
        var id = core.Policies.Keys.Single(k => core.PolicyName(k) == name);
        if (activate)
        {
            await Accept(h, "core.ActivatePolicy", new ActivatePolicy(id, 1));
        }

        return id;
    }

    private static (string Spki, string KeyId) NewPublicKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = key.ExportSubjectPublicKeyInfo();
        return (Convert.ToBase64String(spki), ConsentSigning.KeyId(spki));
    }
}
