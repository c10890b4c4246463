using System.Text.Json;
using Ops.Core.Capabilities;
using Ops.Core.Commands;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Identity;

namespace Ops.Testing;

/// <summary>One way of acting on one object with a command: the payload, the target_ref a client would send, and the capability target pattern that covers exactly that object.</summary>
/// <param name="ScopeTarget">A capability target pattern covering this object and no other sample's, for example <c>note-3f2a…</c> or <c>actor-alice:*</c>.</param>
/// <param name="Payload">The payload acting on this object.</param>
/// <param name="TargetRef">The target_ref naming this object; for commands whose payload names the object, the derived ref.</param>
public sealed record ObjectUse(string ScopeTarget, object Payload, string TargetRef);

/// <summary>How to attack one command type: object A (which the attacker's capability covers) and object B (which it does not).</summary>
/// <param name="A">Acting on A: allowed by the attacker's capability (a positive control).</param>
/// <param name="B">Acting on B: must be refused however it is named.</param>
/// <param name="TargetFromPayload">Whether the command's payload names the object (the kernel derives target_ref).</param>
/// <param name="ExtraTargetsForB">Other target_refs that resolve to B through the handler (a lookup such as <c>note-title:…</c>, or a creation target).</param>
public sealed record BindingSample(ObjectUse A, ObjectUse B, bool TargetFromPayload, IReadOnlyList<string>? ExtraTargetsForB = null);

/// <summary>
/// Issue 7's generated object-binding attack: for a command type and a sample, an attacker whose capability covers
/// exactly object A tries to act on object B through the payload, through target_ref, through both, and through
/// any lookup that resolves to B. Every try must be refused (<c>capability_denied</c> or <c>target_mismatch</c>),
/// append nothing but a safety record, and acting on A must not be refused for authorization.
/// </summary>
public static class BindingAttacks
{
    private static readonly string[] AuthorizationCodes = [ReasonCodes.CapabilityDenied, ReasonCodes.TargetMismatch];

    /// <summary>Runs every attack variant; returns what went wrong, empty when the binding holds.</summary>
    /// <param name="harness">The kernel.</param>
    /// <param name="attacker">The attacker, holding a capability for <paramref name="commandType"/> on <see cref="BindingSample.A"/> only.</param>
    /// <param name="commandType">The command type.</param>
    /// <param name="sample">The objects.</param>
    /// <returns>One line per failed expectation.</returns>
    public static async Task<IReadOnlyList<string>> RunAsync(KernelHarness harness, CallerContext attacker, string commandType, BindingSample sample)
    {
        ArgumentNullException.ThrowIfNull(harness);
        ArgumentNullException.ThrowIfNull(sample);
        var problems = new List<string>();
        var tries = new List<(string How, object Payload, string? Target)>
        {
            ("target B", sample.A.Payload, sample.B.TargetRef),
        };
        if (sample.TargetFromPayload)
        {
            tries.Add(("payload B, target A", sample.B.Payload, sample.A.TargetRef));
            tries.Add(("payload B, target omitted", sample.B.Payload, null));
            tries.Add(("payload B, target B", sample.B.Payload, sample.B.TargetRef));
        }

        foreach (var extra in sample.ExtraTargetsForB ?? [])
        {
            tries.Add(($"target {extra} (resolves to B)", sample.B.Payload, extra));
        }

        foreach (var (how, payload, target) in tries)
        {
            // Past the safety recorder's coalescing window, so this refusal is written at once, not only counted.
            harness.Time.Advance(TimeSpan.FromSeconds(61));
            var head = await harness.MutationHeadAsync();
            var safetyHead = await harness.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);
            var outcome = await harness.SendAsync(commandType, target, payload, attacker, idempotencyKey: "attack-" + how);
            if (outcome.IsAccepted || !AuthorizationCodes.Contains(outcome.ReasonCode))
            {
                problems.Add($"{commandType}, {how}: expected capability_denied or target_mismatch, got {(outcome.IsAccepted ? "accepted" : outcome.ReasonCode)} ({outcome.Reason})");
                continue;
            }

            if (await harness.MutationHeadAsync() != head)
            {
                problems.Add($"{commandType}, {how}: refused, but something other than a safety record was appended");
            }

            if (!(await harness.SafetyRecordsAfterAsync(safetyHead)).Any(r => r.ReasonCode == outcome.ReasonCode))
            {
                problems.Add($"{commandType}, {how}: refused with {outcome.ReasonCode}, but no safety record says so");
            }
        }

        var control = await harness.ProposeAsync(commandType, sample.TargetFromPayload ? null : sample.A.TargetRef, sample.A.Payload, attacker, idempotencyKey: "control");
        if (control.Rejection is { } rejected && AuthorizationCodes.Append(ReasonCodes.Escalation).Contains(rejected.ReasonCode))
        {
            problems.Add($"{commandType}, acting on A: refused with {rejected.ReasonCode} ({rejected.Reason}); the attack proves nothing if the capability covers nothing");
        }

        return problems;
    }

    /// <summary>Serializes a payload for diagnostics.</summary>
    /// <param name="payload">The payload.</param>
    /// <returns>Its JSON.</returns>
    public static string Show(object payload) => JsonSerializer.Serialize(payload, payload.GetType(), OpsJson.Options);
}
