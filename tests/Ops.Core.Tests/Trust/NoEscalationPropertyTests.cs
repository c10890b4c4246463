using CsCheck;
using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Xunit.Abstractions;

namespace Ops.Core.Tests.Trust;

/// <summary>
/// Issue 7, "no escalation, ever": generated sequences of grant, delegate, scope change, revoke, disable, enable,
/// time passing (expiry) and use, run through the gateway's real authorization stages. A reference model tracks,
/// for every capability, the capability it was conferred under (the authorizing one the kernel chose for a grant,
/// the named parent for a delegation), independently of what the kernel stored. After every step, every actor's
/// effective capability is covered by its granter's: whatever a capability allows, the capability it was conferred
/// under allows too, at that instant; and the kernel's answer for every use agrees with the model's.
/// </summary>
public sealed class NoEscalationPropertyTests(ITestOutputHelper output)
{
    private const int Sequences = 10_000;
    private static readonly string[] Actors = ["admin", "ann", "bob", "cid", "dee"];
    private static readonly string[] Types = ["pack.x.a.Do", "pack.x.b.Do", "pack.y.a.Do", "core.GrantCapability"];
    private static readonly string[] Targets = ["note-1", "note-2", "actor-bob:capability-9"];
    private static readonly SafetyClass[] Classes = [SafetyClass.Read, SafetyClass.WriteInternal];

    private static readonly string[][] TypePatterns =
    [
        ["*"], ["pack.*"], ["pack.x.*"], ["pack.x.a.Do"], ["pack.y.a.Do"], ["core.GrantCapability"], ["core.*"],
        ["pack.x.*", "core.GrantCapability"], ["pack.*", "core.*"], ["core.DelegateCapability", "core.ChangeCapabilityScope", "core.RevokeCapability"],
    ];

    private static readonly string[][] TargetPatterns = [["*"], ["note-*"], ["note-1"], ["actor-*"], ["actor-bob:*"], ["note-2", "actor-*"]];

    private static readonly SafetyClass[][] ClassSets = [[SafetyClass.Read], [SafetyClass.WriteInternal], [SafetyClass.Read, SafetyClass.WriteInternal], [SafetyClass.Read, SafetyClass.WriteInternal, SafetyClass.WriteExternalSideEffect]];

    private static readonly Gen<CapabilityScope> ScopeGen =
        Gen.Select(Gen.Int[0, TypePatterns.Length - 1], Gen.Int[0, TargetPatterns.Length - 1], Gen.Int[0, ClassSets.Length - 1], (t, r, c) => new CapabilityScope(TypePatterns[t], TargetPatterns[r], ClassSets[c]));

    private static readonly Gen<string> ActorGen = Gen.Int[0, Actors.Length - 1].Select(i => Actors[i]);

    private static readonly Gen<Op> OpGen = Gen.Frequency(
        (5, Gen.Select(ActorGen, ActorGen, ScopeGen, Gen.Int[0, 3], (g, h, s, e) => (Op)new Grant(g, h, s, e == 0 ? 10 : e == 1 ? 60 : null))),
        (3, Gen.Select(ActorGen, Gen.Int[0, 20], ActorGen, ScopeGen, (a, p, h, s) => (Op)new Delegate(a, p, h, s))),
        (2, Gen.Select(ActorGen, Gen.Int[0, 20], ScopeGen, (a, c, s) => (Op)new ChangeScope(a, c, s))),
        (2, Gen.Select(ActorGen, Gen.Int[0, 20], (a, c) => (Op)new Revoke(a, c))),
        (1, Gen.Int[1, Actors.Length - 1].Select(i => (Op)new Disable(Actors[i]))),
        (1, Gen.Int[1, Actors.Length - 1].Select(i => (Op)new Enable(Actors[i]))),
        (1, Gen.Int[0, 2].Select(i => (Op)new Advance(i == 0 ? 5 : i == 1 ? 30 : 90))));

    [Fact]
    public void Capabilities_NeverExceedTheCapabilityTheyWereConferredUnder()
    {
        var sequences = 0;
        var steps = 0;
        var accepted = 0;
        var escalations = 0;
        OpGen.Array[1, 14].Sample(
            ops =>
            {
                var (ran, ok, problem) = RunAsync(ops).GetAwaiter().GetResult();
                Interlocked.Increment(ref sequences);
                Interlocked.Add(ref steps, ops.Length);
                Interlocked.Add(ref accepted, ok);
                if (problem is not null)
                {
                    Interlocked.Increment(ref escalations);
                    throw new InvalidOperationException(problem + " after " + ran + " step(s)");
                }
            },
            iter: Sequences,
            print: ops => string.Join("; ", ops.Select(o => o.ToString())));
        output.WriteLine($"{sequences:N0} sequences, {steps:N0} steps, {accepted:N0} accepted commands, {escalations} escalations");
        Assert.True(sequences >= Sequences);
        Assert.True(accepted > sequences, "the generator must exercise accepted grants, not only refusals");
    }

    private static async Task<(int Ran, int Accepted, string? Problem)> RunAsync(Op[] ops)
    {
        var kernel = new InMemoryCore(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero), Actors);
        var model = new Dictionary<string, ModelCapability>(StringComparer.Ordinal)
        {
            [kernel.RootCapabilityId] = new(kernel.RootCapabilityId, "admin", null),
        };
        var order = new List<string> { kernel.RootCapabilityId };
        var acceptedCount = 0;
        for (var i = 0; i < ops.Length; i++)
        {
            string Pick(int index) => order[index % order.Count];
            InMemoryCore.Result? result = null;
            string? parent = null;
            string? holder = null;
            switch (ops[i])
            {
                case Grant g:
                    result = await kernel.RunAsync(g.Granter, "core.GrantCapability", new GrantCapability(g.Holder, g.Scope, null, g.ExpiresInMinutes is { } m ? kernel.Now.AddMinutes(m) : null), "op" + i);
                    parent = result.AuthorizingCapabilityId;
                    holder = g.Holder;
                    break;
                case Delegate d:
                    parent = Pick(d.Parent);
                    result = await kernel.RunAsync(d.Actor, CoreCommands.DelegateCommandType, new DelegateCapability(parent, d.Holder, d.Scope), "op" + i);
                    holder = d.Holder;
                    break;
                case ChangeScope c:
                    result = await kernel.RunAsync(c.Actor, "core.ChangeCapabilityScope", new ChangeCapabilityScope(Pick(c.Capability), c.Scope), "op" + i);
                    break;
                case Revoke r:
                    result = await kernel.RunAsync(r.Actor, "core.RevokeCapability", new RevokeCapability(Pick(r.Capability), "test"), "op" + i);
                    break;
                case Disable x:
                    result = await kernel.RunAsync("admin", "core.DisableActor", new DisableActor(x.Actor, "test"), "op" + i);
                    break;
                case Enable x:
                    result = await kernel.RunAsync("admin", "core.EnableActor", new EnableActor(x.Actor), "op" + i);
                    break;
                case Advance a:
                    kernel.Now = kernel.Now.AddMinutes(a.Minutes);
                    break;
                default:
                    break;
            }

            if (result is { Accepted: true })
            {
                acceptedCount++;
                if (result.CreatedCapabilityId is { } created)
                {
                    // The model's parent is the conferring capability, whatever the kernel recorded.
                    model[created] = new ModelCapability(created, holder!, parent!);
                    order.Add(created);
                    if ((Escalates(kernel.State, created, parent!, kernel.Now) ?? DeclaresMore(kernel.State, created, parent!, kernel.Now)) is { } escalation)
                    {
                        return (i + 1, acceptedCount, $"step {i + 1} ({ops[i]}) conferred more than its conferring capability holds: {escalation}");
                    }
                }
            }

            if (Check(kernel.State, model, kernel.Now) is { } problem)
            {
                return (i + 1, acceptedCount, $"step {i + 1} ({ops[i]}): {problem}");
            }
        }

        return (ops.Length, acceptedCount, null);
    }

    /// <summary>Every concrete action the capability allows, its conferring capability allows too.</summary>
    private static string? Escalates(CoreState state, string capabilityId, string parentId, DateTimeOffset at)
    {
        var holder = state.CapabilityHolder(capabilityId)!;
        var parentHolder = state.CapabilityHolder(parentId)!;
        foreach (var (type, target, safety) in Universe())
        {
            if (CapabilityEvaluator.Evaluate(state, capabilityId, holder, type, target, safety, at).Allowed
                && !CapabilityEvaluator.Evaluate(state, parentId, parentHolder, type, target, safety, at).Allowed)
            {
                return $"{capabilityId[..8]} allows {type} on {target} ({safety}) but its conferring capability {parentId[..8]} does not";
            }
        }

        return null;
    }

    /// <summary>What a capability says it allows (its own scope and bounds), not only what it can use, stays within the conferring chain.</summary>
    private static string? DeclaresMore(CoreState state, string capabilityId, string parentId, DateTimeOffset at)
    {
        var own = CapabilityEvaluator.StateAt(state, capabilityId, at)!;
        var parentHolder = state.CapabilityHolder(parentId)!;
        foreach (var (type, target, safety) in Universe())
        {
            if (CapabilityEvaluator.Allows(own.Scope, type, target, safety, out _) && !CapabilityEvaluator.Evaluate(state, parentId, parentHolder, type, target, safety, at).Allowed)
            {
                return $"{capabilityId[..8]} was granted {type} on {target} ({safety}), which its conferring capability {parentId[..8]} does not allow";
            }
        }

        var (chain, _) = CapabilityEvaluator.ChainAt(state, parentId, at);
        var chainEnd = chain.Select(c => c.Grant.ExpiresAt).Where(e => e is not null).Min();
        return chainEnd is { } end && (own.Grant.ExpiresAt is not { } ownEnd || ownEnd > end)
            ? $"{capabilityId[..8]} expires {own.Grant.ExpiresAt?.ToString("O") ?? "never"}, after its conferring chain's {end:O}"
            : null;
    }

    private static string? Check(CoreState state, Dictionary<string, ModelCapability> model, DateTimeOffset at)
    {
        foreach (var capability in model.Values)
        {
            if (capability.Parent is { } parent && Escalates(state, capability.Id, parent, at) is { } escalation)
            {
                return escalation;
            }
        }

        // Only init's root capability has no conferring capability: nobody else can mint one.
        var roots = state.Capabilities.Values.Select(h => (CapabilityGranted)h[0].Payload).Where(g => g.ParentCapabilityId is null).ToList();
        return roots.Count == 1 ? null : $"{roots.Count} capabilities have no parent";
    }

    private static IEnumerable<(string Type, string Target, SafetyClass Safety)> Universe() =>
        from type in Types from target in Targets from safety in Classes select (type, target, safety);

    private sealed record ModelCapability(string Id, string Holder, string? Parent);

    private abstract record Op;

    private sealed record Grant(string Granter, string Holder, CapabilityScope Scope, int? ExpiresInMinutes) : Op
    {
        public override string ToString() => $"{Granter} grants {Holder} [{string.Join(",", Scope.CommandTypes)}|{string.Join(",", Scope.Targets)}|{string.Join(",", Scope.SafetyClasses)}]{(ExpiresInMinutes is { } m ? $" for {m}m" : string.Empty)}";
    }

    private sealed record Delegate(string Actor, int Parent, string Holder, CapabilityScope Scope) : Op
    {
        public override string ToString() => $"{Actor} delegates #{Parent} to {Holder} [{string.Join(",", Scope.CommandTypes)}|{string.Join(",", Scope.Targets)}|{string.Join(",", Scope.SafetyClasses)}]";
    }

    private sealed record ChangeScope(string Actor, int Capability, CapabilityScope Scope) : Op
    {
        public override string ToString() => $"{Actor} rescopes #{Capability} [{string.Join(",", Scope.CommandTypes)}|{string.Join(",", Scope.Targets)}|{string.Join(",", Scope.SafetyClasses)}]";
    }

    private sealed record Revoke(string Actor, int Capability) : Op;

    private sealed record Disable(string Actor) : Op;

    private sealed record Enable(string Actor) : Op;

    private sealed record Advance(int Minutes) : Op;
}
