using System.Text.Json;
using Ops.Core.Capabilities;
using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Identity;
using Ops.Core.Packs;

namespace Ops.Core.Commands.Pipeline;

/// <summary>One interpretation ready to commit: its proposal part, its stream, its events and the final state.</summary>
internal sealed record PreparedInterpretation(ProposedInterpretation Proposed, string StreamKey, string StreamId, IReadOnlyList<(EventRegistration Type, JsonElement Payload)> Events, JsonElement? FinalState);

/// <summary>
/// Stage 5: the handler decides against current state at the decision time, without writing; the kernel
/// turns its decision into interpretations with pure previews and preview hashes (seed 000 §3–4), and
/// keeps only interpretations whose object the capability covers (<see cref="AuthorizeStage.CheckObject"/>).
/// </summary>
internal static class DecideStage
{
    private static readonly string[] AuditRequirements = ["actor", "action", "target", "time", "delta", "capability_id", "capability_state_ref", "consent"];

    /// <summary>The envelope the handler sees and the log stores: every server-derived field filled.</summary>
    public static CommandEnvelope Bind(CommandEnvelope envelope, BoundIdentity identity, string target, CapabilityDecision capability, DateTimeOffset decisionTime) =>
        envelope with
        {
            CommandId = identity.CommandId,
            TargetRef = target,
            Actor = identity.ActorRef,
            Scope = identity.Scope,
            RequestedAt = envelope.RequestedAt ?? decisionTime,
            CorrelationId = envelope.CorrelationId ?? identity.CommandId,
            CapabilityId = capability.CapabilityId,
        };

    public static async ValueTask<StageResult<IReadOnlyList<PreparedInterpretation>>> RunAsync(
        KernelRegistry registry,
        Validated validated,
        CommandEnvelope bound,
        BoundIdentity identity,
        CapabilityDecision capability,
        DateTimeOffset decisionTime,
        DateTimeOffset now,
        IStreamReader streams,
        CoreState core,
        IProjectionReader projections,
        Microsoft.Extensions.Logging.ILogger? logger,
        CancellationToken cancellationToken)
    {
        var registration = validated.Registration;
        var target = bound.TargetRef!;
        Decision decision;
        try
        {
            decision = await registration.Decide(new CommandInvocation(validated.Payload, bound, identity.CommandId, identity.Scope, decisionTime, streams, core, projections, capability), cancellationToken);
        }
        catch (OpsException ex)
        {
            // A kernel refusal the handler ran into, e.g. reading a projection that spans tenants without a capability naming it.
            return new Rejection(ex.Code, ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && PackFaults.IsPack(registration.Owner))
        {
            return new Rejection(ReasonCodes.PackFault, PackFaults.Caught(logger, registration.Owner, "its handler of " + registration.Name, ex));
        }

        if (decision.IsRejected)
        {
            return new Rejection(decision.ReasonCode!, decision.Reason!);
        }

        var options = decision.IsAmbiguous ? decision.Options : [new DecisionOption("as requested", 1, decision)];
        var interpretations = new List<PreparedInterpretation>(options.Count);
        string? uncovered = null;
        foreach (var option in options)
        {
            if (registration.SafetyClass != SafetyClass.Read && !option.Decision.HasPreview)
            {
                return new Rejection(ReasonCodes.CannotPreview, $"the handler of {registration.Name} gave no preview, and a mutation that cannot be previewed cannot be proposed (seed 000 §3)");
            }

            var streamKey = option.Decision.StreamKey ?? target;
            if (AuthorizeStage.CheckObject(core, validated, identity.Actor.ActorId, target, streamKey, capability, now) is { } problem)
            {
                uncovered ??= problem;
                continue;
            }

            try
            {
                interpretations.Add(Interpret(registry, registration, bound, capability, decisionTime, streamKey, option));
            }
            catch (OpsException ex)
            {
                return new Rejection(ex.Code, ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && PackFaults.IsPack(registration.Owner))
            {
                // The decision's events and previews are the pack's objects; serializing them runs the pack's code too.
                return new Rejection(ReasonCodes.PackFault, PackFaults.Caught(logger, registration.Owner, "the decision of its handler of " + registration.Name, ex));
            }
        }

        return interpretations.Count > 0 ? interpretations : new Rejection(ReasonCodes.CapabilityDenied, uncovered!);
    }

    private static PreparedInterpretation Interpret(KernelRegistry registry, CommandRegistration registration, CommandEnvelope bound, CapabilityDecision capability, DateTimeOffset decisionTime, string streamKey, DecisionOption option)
    {
        var decision = option.Decision;
        var streamId = registration.StreamPrefix + streamKey;
        var events = new List<(EventRegistration Type, JsonElement Payload)>(decision.Events.Count);
        foreach (var e in decision.Events)
        {
            if (!registry.TryGetEvent(e.GetType(), out var eventType) || eventType.Owner != registration.Owner)
            {
                throw new OpsException(ReasonCodes.PackFault, $"pack '{registration.Owner}' failed in its handler of {registration.Name}: it emitted {e.GetType().Name}, which is not an event registered by '{registration.Owner}'. Nothing was appended.");
            }

            events.Add((eventType, JsonSerializer.SerializeToElement(e, e.GetType(), OpsJson.Options)));
        }

        var interpretationId = ContentHash.OfValue(new { label = option.Label })[..16];
        var preview = decision.HasPreview ? PreviewDiff.Compute(decision.PreviewBefore, decision.PreviewAfter) : [];
        var proposedEvents = events.Select(e => new ProposedEvent(e.Type.Name, e.Type.SchemaVersion, e.Payload)).ToList();

        // The consent covers everything the commit stores from the request (issue 7): the envelope fields the events carry are hashed too.
        var previewHash = ContentHash.OfValue(new
        {
            command_id = bound.CommandId,
            interpretation_id = interpretationId,
            proposed_at = decisionTime,
            stream_id = streamId,
            preview,
            events = proposedEvents,
            reversibility = decision.Reversibility,
            envelope = new
            {
                correlation_id = bound.CorrelationId,
                causation_id = bound.CausationId,
                causation_type = bound.CausationType,
                capability_id = capability.CapabilityId,
                capability_state_ref = capability.StateRef,
                scope = bound.Scope,
            },
        });
        var proposed = new ProposedInterpretation(
            interpretationId,
            option.Label,
            option.Confidence,
            registration.SafetyClass == SafetyClass.Read ? "read" : "mutate",
            new ActionScope(registration.Name, streamKey, streamId, registration.SafetyClass),
            preview,
            decision.Reversibility,
            AuditRequirements,
            proposedEvents,
            previewHash);
        var finalState = decision.HasPreview && decision.PreviewAfter is not null ? JsonSerializer.SerializeToElement(decision.PreviewAfter, decision.PreviewAfter.GetType(), OpsJson.Options) : (JsonElement?)null;
        return new PreparedInterpretation(proposed, streamKey, streamId, events, finalState);
    }
}
