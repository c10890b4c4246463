using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Ops.Core.Capabilities;
using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Core.Log;
using Ops.Core.Naming;
using Ops.Core.Packs;
using Ops.Core.Storage;

namespace Ops.Core.Commands;

/// <summary>See <see cref="ICommandGateway"/>.</summary>
[Authority(AuthorityClass.LogAppender, "events", "command_outcomes")]
internal sealed partial class CommandGateway(KernelRegistry registry, LogWriter writer, Projections.ProjectionEngine projections, Func<string, Projections.ProjectionAccess, IProjectionReader> readerFor, KernelOptions options, TimeProvider time, ILogger<CommandGateway> logger) : ICommandGateway
{
    /// <summary>How long a proposal can be committed after it was made.</summary>
    public static readonly TimeSpan ProposalLifetime = TimeSpan.FromMinutes(15);

    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);
    private static readonly string[] AuditRequirements = ["actor", "action", "target", "time", "delta", "capability_id", "capability_state_ref", "consent"];

    public async Task<CommandOutcome> SendAsync(CommandEnvelope envelope, CallerContext caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(caller);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var activity = OpsTelemetry.Source.StartActivity("ops.command.send");
        activity?.SetTag("ops.command_type", envelope.CommandType);
        var rejection = Validate(envelope, out var registration, out var payload);
        if (registry.Commands.TryGetValue(envelope.CommandType ?? string.Empty, out var known) && known.SafetyClass != SafetyClass.Read)
        {
            // Before any other check: a mutation never takes this path, whatever else is wrong with it.
            registration = known;
            rejection = new("consent_required", $"{known.Name} is {known.SafetyClass}: a mutation is proposed first (POST /v1/proposals), then committed with consent bound to its preview (POST /v1/commits); seed 000 §2.1");
        }

        var outcome = rejection is not null
            ? Rejected(envelope.CommandId ?? string.Empty, envelope.CommandType ?? string.Empty, rejection, time.GetUtcNow())
            : await writer.ExecuteAsync((session, ct) => SendInSessionAsync(session, registration!, envelope, payload!, caller, ct), cancellationToken);
        CoreLog.CommandDecided(logger, outcome.CommandType, outcome.CommandId, outcome.Status.ToString());
        OpsTelemetry.Record("send", outcome.CommandType, outcome, started);
        return outcome;
    }

    public async Task<ProposeResult> ProposeAsync(CommandEnvelope envelope, CallerContext caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(caller);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var activity = OpsTelemetry.Source.StartActivity("ops.command.propose");
        activity?.SetTag("ops.command_type", envelope.CommandType);
        var rejection = Validate(envelope, out var registration, out var payload);
        if (rejection is not null)
        {
            var invalid = Rejected(envelope.CommandId ?? string.Empty, envelope.CommandType ?? string.Empty, rejection, time.GetUtcNow());
            OpsTelemetry.Record("propose", invalid.CommandType, invalid, started);
            return new ProposeResult(null, invalid);
        }

        await CatchUpProjectionsAsync(registration!.Owner, cancellationToken);

        // Runs on the writer so it sees exactly the state a commit would; it appends nothing.
        var result = await writer.ExecuteAsync(
            async (session, ct) =>
            {
                var now = session.Time.GetUtcNow();
                var prepared = await PrepareAsync(session, registration!, envelope, payload!, caller, now, now, ct);
                if (prepared.Rejection is { } rejected)
                {
                    return new ProposeResult(null, rejected);
                }

                var interpretations = prepared.Interpretations!.Select(i => i.Proposed).ToList();
                var proposalId = ContentHash.OfValue(new { command_id = prepared.CommandId, proposed_at = now, preview_hashes = interpretations.Select(i => i.PreviewHash) });
                return new ProposeResult(new Proposal(proposalId, prepared.Bound!, now, now + ProposalLifetime, interpretations), null);
            },
            cancellationToken);
        OpsTelemetry.Record("propose", registration.Name, result.Rejection, started);
        return result;
    }

    public async Task<CommitResult> CommitAsync(CommitRequest request, CallerContext caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(caller);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var activity = OpsTelemetry.Source.StartActivity("ops.command.commit");
        activity?.SetTag("ops.command_type", request.Command?.CommandType);
        var envelope = request.Command;
        var rejection = envelope is null ? new Rejection("invalid_envelope", "command is required") : Validate(envelope, out _, out _);
        if (rejection is null && request.Consent is null)
        {
            rejection = new("consent_invalid", "consent is required: a signature bound to the preview, or an active policy");
        }

        if (rejection is not null)
        {
            var invalid = Rejected(envelope?.CommandId ?? string.Empty, envelope?.CommandType ?? string.Empty, rejection, time.GetUtcNow());
            OpsTelemetry.Record("commit", invalid.CommandType, invalid, started);
            return new CommitResult(invalid, null, null);
        }

        Validate(envelope!, out var registration, out var payload);
        if (request.PreviewHash is null)
        {
            // A one-step policy commit is also its proposal; a signed commit re-checks its interpretation on the streams.
            await CatchUpProjectionsAsync(registration!.Owner, cancellationToken);
        }

        var result = await writer.ExecuteAsync((session, ct) => CommitInSessionAsync(session, registration!, request, payload!, caller, ct), cancellationToken);
        CoreLog.CommandDecided(logger, registration!.Name, result.Outcome.CommandId, result.Outcome.Status.ToString());
        OpsTelemetry.Record("commit", registration.Name, result.Outcome, started);
        return result;
    }

    /// <summary>Handlers may look up candidates in their pack's projections: fold them up to the last commit first (never inside a writer unit, which holds the write lock).</summary>
    private async ValueTask CatchUpProjectionsAsync(string owner, CancellationToken cancellationToken)
    {
        var names = registry.Projections.Values.Where(p => p.Owner == owner).Select(p => p.Name).ToList();
        if (names.Count > 0)
        {
            await projections.CatchUpAsync(names, cancellationToken);
        }
    }

    private Rejection? Validate(CommandEnvelope envelope, out CommandRegistration? registration, out object? payload)
    {
        registration = null;
        payload = null;
        var commandType = envelope.CommandType ?? string.Empty;
        if (!OpsTypeName.TryParse(commandType, out _, out var nameError))
        {
            return new("invalid_envelope", $"command_type is invalid: {nameError}");
        }

        if (string.IsNullOrWhiteSpace(envelope.TargetRef) || envelope.TargetRef.Length > 512)
        {
            return new("invalid_envelope", "target_ref is required (1 to 512 characters)");
        }

        if (envelope.CausationId is not null && envelope.CausationType is null)
        {
            return new("invalid_envelope", "causation_type is required when causation_id is set (constitution A2)");
        }

        if (envelope.Payload.ValueKind != JsonValueKind.Object)
        {
            return new("invalid_envelope", "payload must be a JSON object");
        }

        if (!registry.Commands.TryGetValue(commandType, out registration))
        {
            return new("unknown_command_type", $"No pack handles command type {commandType}. Installed packs: {string.Join(", ", registry.Packs.Select(p => p.PackId))}");
        }

        if (registration.SafetyClass == SafetyClass.WriteExternalSideEffect)
        {
            return new("safety_class_unsupported", $"{commandType} is WRITE_EXTERNAL_SIDE_EFFECT; external side effects need the outbox, approvals, quotas and a kill switch, which this kernel does not have yet, so it refuses them");
        }

        try
        {
            payload = envelope.Payload.Deserialize(registration.PayloadType, OpsJson.Options)
                ?? throw new JsonException("payload is null.");
        }
        catch (JsonException ex)
        {
            return new("invalid_payload", $"payload does not fit {commandType}: {ex.Message}");
        }

        return null;
    }

    /// <summary>
    /// Everything before the append, shared by send, propose and commit: actor, command id, identity,
    /// capability as of <paramref name="now"/>, then the handler's decision at <paramref name="decisionTime"/>.
    /// </summary>
    private async ValueTask<Prepared> PrepareAsync(WriteSession session, CommandRegistration registration, CommandEnvelope envelope, object payload, CallerContext caller, DateTimeOffset now, DateTimeOffset decisionTime, CancellationToken cancellationToken)
    {
        var core = session.Core;
        if (!core.Actors.TryGetValue(caller.Actor.Id, out var actor))
        {
            return Prepared.Fail(Rejected(envelope.CommandId ?? string.Empty, registration.Name, new("unknown_actor", $"actor '{caller.Actor.Id}' is not registered"), now));
        }

        var commandId = DeterministicIds.CommandId(actor.TenantId, actor.ActorId, registration.Name, envelope.TargetRef, envelope.Payload, envelope.IdempotencyKey);
        if (envelope.CommandId is not null && !string.Equals(envelope.CommandId, commandId, StringComparison.Ordinal))
        {
            return Prepared.Fail(Rejected(envelope.CommandId, registration.Name, new("command_id_mismatch", $"command_id does not match the command's content (expected {commandId}); omit it, or send idempotency_key to derive it from your own key"), now));
        }

        var scopeResult = DeriveScope(envelope.Scope, envelope.Actor, actor, caller);
        if (scopeResult.Rejection is { } identity)
        {
            return Prepared.Fail(Rejected(commandId, registration.Name, identity, now));
        }

        var scope = scopeResult.Scope!;
        var contentHash = ContentHash.OfValue(new JsonObject
        {
            ["command_type"] = registration.Name,
            ["target_ref"] = envelope.TargetRef,
            ["payload"] = JsonNode.Parse(envelope.Payload.GetRawText()),
            ["actor_id"] = actor.ActorId,
            ["tenant_id"] = actor.TenantId,
        });
        var actorRef = new ActorRef(actor.ActorId, actor.Kind);
        if (await OutcomeStore.FindAsync(session, commandId, cancellationToken) is { } found)
        {
            // Already decided: the first outcome stands (constitution A2); nothing is decided again.
            var first = found.ContentHash == contentHash
                ? found.Outcome with { Replayed = true }
                : Rejected(commandId, registration.Name, new("command_id_conflict", "this command_id (idempotency key) was already used for a command with different content"), now);
            return new Prepared(commandId, contentHash, actorRef, null, null, null, first, null, null) { IsReplay = true };
        }

        var capability = payload is DelegateCapability delegation
            ? CoreCommands.AuthorizeDelegation(core, delegation, actor.ActorId, now)
            : envelope.CapabilityId is { } named
            ? CapabilityEvaluator.Evaluate(core, named, actor.ActorId, registration.Name, envelope.TargetRef, registration.SafetyClass, now)
            : CapabilityEvaluator.FindFor(core, actor.ActorId, registration.Name, envelope.TargetRef, registration.SafetyClass, now);
        var bound = envelope with { CommandId = commandId, Actor = actorRef, Scope = scope, RequestedAt = envelope.RequestedAt ?? now, CorrelationId = envelope.CorrelationId ?? commandId };
        var prepared = new Prepared(commandId, contentHash, actorRef, scope, capability, bound, null, null, null);
        if (!capability.Allowed)
        {
            return prepared with { Rejection = Rejected(commandId, registration.Name, new("capability_denied", capability.Reason!), now) };
        }

        var streams = new SessionStreamReader(session, registration.StreamPrefix);
        // The handler's projection reads are scoped to the caller's tenant and mode by the kernel (seed 001).
        var reader = readerFor(registration.Owner, new Projections.ProjectionAccess(scope.TenantId, scope.Mode, actor.ActorId, core, now));
        Decision decision;
        try
        {
            decision = await registration.Decide(new CommandInvocation(payload, bound, commandId, scope, decisionTime, streams, core, reader), cancellationToken);
        }
        catch (Errors.OpsException ex)
        {
            // A kernel refusal met by the handler (e.g. a projection spanning tenants read without a capability naming it).
            decision = Decision.Reject(ex.Code, ex.Message);
        }

        if (decision.IsRejected)
        {
            return prepared with { Rejection = Rejected(commandId, registration.Name, new(decision.ReasonCode!, decision.Reason!), now) with { CapabilityId = capability.CapabilityId, CapabilityStateRef = capability.StateRef } };
        }

        var options = decision.IsAmbiguous ? decision.Options : [new DecisionOption("as requested", 1, decision)];
        var interpretations = new List<PreparedInterpretation>(options.Count);
        foreach (var option in options)
        {
            if (registration.SafetyClass != SafetyClass.Read && !option.Decision.HasPreview)
            {
                return prepared with { Rejection = Rejected(commandId, registration.Name, new("cannot_preview", $"the handler of {registration.Name} gave no preview, and a mutation that cannot be previewed cannot be proposed (seed 000 §3)"), now) };
            }

            interpretations.Add(Interpret(registration, commandId, decisionTime, envelope.TargetRef, option, streams));
        }

        return prepared with { Interpretations = interpretations, Streams = streams };
    }

    private PreparedInterpretation Interpret(CommandRegistration registration, string commandId, DateTimeOffset decisionTime, string targetRef, DecisionOption option, SessionStreamReader streams)
    {
        var decision = option.Decision;
        var streamKey = decision.StreamKey ?? targetRef;
        var streamId = registration.StreamPrefix + streamKey;
        var events = new List<(EventRegistration Type, JsonElement Payload)>(decision.Events.Count);
        foreach (var e in decision.Events)
        {
            if (!registry.TryGetEvent(e.GetType(), out var eventType) || eventType.Owner != registration.Owner)
            {
                throw new InvalidOperationException($"The handler of {registration.Name} emitted {e.GetType().Name}, which is not an event registered by '{registration.Owner}'. Nothing was appended.");
            }

            events.Add((eventType, JsonSerializer.SerializeToElement(e, e.GetType(), OpsJson.Options)));
        }

        var interpretationId = ContentHash.OfValue(new { label = option.Label })[..16];
        var preview = decision.HasPreview ? PreviewDiff.Compute(decision.PreviewBefore, decision.PreviewAfter) : [];
        var proposedEvents = events.Select(e => new ProposedEvent(e.Type.Name, e.Type.SchemaVersion, e.Payload)).ToList();
        var previewHash = ContentHash.OfValue(new
        {
            command_id = commandId,
            interpretation_id = interpretationId,
            proposed_at = decisionTime,
            stream_id = streamId,
            preview,
            events = proposedEvents,
            reversibility = decision.Reversibility,
        });
        var proposed = new ProposedInterpretation(
            interpretationId,
            option.Label,
            option.Confidence,
            registration.SafetyClass == SafetyClass.Read ? "read" : "mutate",
            new ActionScope(registration.Name, targetRef, streamId, registration.SafetyClass),
            preview,
            decision.Reversibility,
            AuditRequirements,
            proposedEvents,
            previewHash);
        return new PreparedInterpretation(proposed, streamKey, streamId, events, decision.HasPreview && decision.PreviewAfter is not null ? JsonSerializer.SerializeToElement(decision.PreviewAfter, decision.PreviewAfter.GetType(), OpsJson.Options) : null);
    }

    private async ValueTask<CommandOutcome> SendInSessionAsync(WriteSession session, CommandRegistration registration, CommandEnvelope envelope, object payload, CallerContext caller, CancellationToken cancellationToken)
    {
        var now = session.Time.GetUtcNow();
        var prepared = await PrepareAsync(session, registration, envelope, payload, caller, now, now, cancellationToken);
        if (prepared.CommandId is null)
        {
            return prepared.Rejection!;
        }

        if (prepared.Rejection is { } rejected)
        {
            return prepared.IsReplay ? rejected : await RecordAsync(session, rejected, prepared.ContentHash!, cancellationToken);
        }

        if (prepared.Interpretations!.Count != 1)
        {
            return Rejected(prepared.CommandId, registration.Name, new("ambiguous", "the command has several interpretations; propose it and commit the one you mean"), now);
        }

        var (outcome, _) = await AppendAsync(session, registration, prepared, prepared.Interpretations[0], now, cancellationToken);
        return outcome;
    }

    private async ValueTask<CommitResult> CommitInSessionAsync(WriteSession session, CommandRegistration registration, CommitRequest request, object payload, CallerContext caller, CancellationToken cancellationToken)
    {
        var now = session.Time.GetUtcNow();
        var envelope = request.Command;
        var consent = request.Consent;
        CommitResult Fail(string commandId, string code, string message) => new(Rejected(commandId, registration.Name, new(code, message), now), null, null);

        // Policy consent may commit in one step; a signature is always bound to a proposal's instant.
        var decisionTime = request.ProposedAt ?? (consent.Kind == ConsentKind.Policy && request.PreviewHash is null ? now : DateTimeOffset.MinValue);
        if (decisionTime == DateTimeOffset.MinValue)
        {
            return Fail(envelope.CommandId ?? string.Empty, "invalid_envelope", "proposed_at is required: commit the proposal's proposed_at with its preview_hash");
        }

        if (decisionTime > now + ClockSkew || now - decisionTime > ProposalLifetime)
        {
            return Fail(envelope.CommandId ?? string.Empty, "proposal_expired", $"the proposal of {OpsJson.FormatInstant(decisionTime)} can be committed only within {ProposalLifetime.TotalMinutes:0} minutes; propose again");
        }

        var prepared = await PrepareAsync(session, registration, envelope, payload, caller, now, decisionTime, cancellationToken);
        if (prepared.IsReplay && consent.Kind == ConsentKind.Signature && consent.KeyId is not null && consent.Nonce is not null
            && await session.StreamVersionAsync(ConsentStream(consent, string.Empty), cancellationToken) > 0)
        {
            return Fail(prepared.CommandId!, "signature_already_used", "this signature (its nonce) was already used by a commit; a signature is used once");
        }

        if (prepared.Rejection is { } rejected)
        {
            // A rejected commit writes nothing, not even the rejection (seed 000 §6: no partial writes).
            return new CommitResult(rejected, null, null);
        }

        var commandId = prepared.CommandId!;
        PreparedInterpretation? chosen;
        if (request.InterpretationId is null && request.PreviewHash is null)
        {
            if (prepared.Interpretations!.Count != 1)
            {
                return Fail(commandId, "ambiguous", $"the command has {prepared.Interpretations.Count} interpretations; propose it and commit the one you mean");
            }

            chosen = prepared.Interpretations[0];
        }
        else
        {
            chosen = prepared.Interpretations!.FirstOrDefault(i => i.Proposed.InterpretationId == request.InterpretationId);
            if (chosen is null || !string.Equals(chosen.Proposed.PreviewHash, request.PreviewHash, StringComparison.Ordinal))
            {
                return Fail(commandId, "preview_mismatch", $"decided again against current state, interpretation {request.InterpretationId} {(chosen is null ? "is no longer plausible" : $"now previews as {chosen.Proposed.PreviewHash}, not the {request.PreviewHash} consented to")}: the state changed since the preview, or the command differs from the one proposed");
            }
        }

        var consentFailure = consent.Kind switch
        {
            ConsentKind.Signature => await CheckSignatureAsync(session, consent, chosen.Proposed, prepared.Actor!, now, cancellationToken),
            ConsentKind.Policy => CheckPolicy(session.Core, consent, registration.Name, envelope.TargetRef, prepared.Actor!.Id, now),
            _ => new Rejection("consent_invalid", "consent kind must be signature or policy"),
        };
        if (consentFailure is not null)
        {
            return new CommitResult(Rejected(commandId, registration.Name, consentFailure, now), null, null);
        }

        var (outcome, appended) = await AppendAsync(session, registration, prepared, chosen, now, cancellationToken);
        if (!outcome.IsAccepted)
        {
            return new CommitResult(outcome, null, null);
        }

        var auditId = await AppendConsentRecordsAsync(session, prepared, chosen, consent, outcome, now, cancellationToken);
        return new CommitResult(outcome, chosen.FinalState, auditId);
    }

    private async ValueTask<(CommandOutcome Outcome, IReadOnlyList<AppendedEvent> Appended)> AppendAsync(WriteSession session, CommandRegistration registration, Prepared prepared, PreparedInterpretation chosen, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var commandId = prepared.CommandId!;

        // Replay orders by occurred_at first: a stream's events must be strictly later than its last one,
        // even when the clock stands still or steps back, so canonical order keeps stream order.
        var last = await session.LastOccurredAtAsync(chosen.StreamId, cancellationToken);
        var occurredAt = last is { } previousAt && previousAt >= now ? previousAt.AddTicks(1) : now;
        var sourceRef = "command:" + commandId;
        var drafts = chosen.Events.Select((e, i) => Draft(prepared, e.Type.Name, e.Type.SchemaVersion, e.Payload, sourceRef, $"{commandId}#{i}", i, occurredAt, chosen.StreamId)).ToList();
        IReadOnlyList<AppendedEvent> appended;
        try
        {
            appended = await session.AppendAsync(chosen.StreamId, prepared.Streams!.ObservedVersion(chosen.StreamKey), drafts, cancellationToken);
        }
        catch (StreamConcurrencyException ex)
        {
            // Not recorded: the same command may be sent again and decided against the new state.
            return (Rejected(commandId, registration.Name, new("concurrency_conflict", ex.Message), now), []);
        }

        var accepted = new CommandOutcome
        {
            CommandId = commandId,
            CommandType = registration.Name,
            Status = CommandStatus.Accepted,
            CapabilityId = prepared.Capability!.CapabilityId,
            CapabilityStateRef = prepared.Capability.StateRef,
            EventIds = appended.Select(a => a.Event.Envelope.EventId).ToList(),
            Position = appended[^1].Event.Position,
            DecidedAt = now,
        };
        return (await RecordAsync(session, accepted, prepared.ContentHash!, cancellationToken), appended);
    }

    /// <summary>The consent record (consuming a signature's nonce) and the audit record, in the commit's transaction.</summary>
    private static async ValueTask<string> AppendConsentRecordsAsync(WriteSession session, Prepared prepared, PreparedInterpretation chosen, ConsentGrant consent, CommandOutcome outcome, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var commandId = prepared.CommandId!;
        var sourceRef = "command:" + commandId;
        var consentStream = ConsentStream(consent, commandId);
        var consentPayload = JsonSerializer.SerializeToElement(new ConsentRecorded(commandId, chosen.Proposed.PreviewHash, chosen.Proposed.InterpretationId, consent), OpsJson.Options);
        await session.AppendAsync(consentStream, 0, [Draft(prepared, ConsentEventTypes.ConsentRecorded, 1, consentPayload, sourceRef, commandId + "#consent", null, now, consentStream)], cancellationToken);

        var audit = new MutationCommitted(
            commandId,
            prepared.Actor!,
            outcome.CommandType,
            prepared.Bound!.TargetRef,
            chosen.StreamId,
            now,
            chosen.Proposed.InterpretationId,
            chosen.Proposed.PreviewHash,
            chosen.Proposed.Preview,
            outcome.CapabilityId!,
            outcome.CapabilityStateRef!,
            consent.Kind,
            consent.Kind == ConsentKind.Signature ? consent.Signer : null,
            consent.Kind == ConsentKind.Signature ? consent.KeyId : null,
            consent.Kind == ConsentKind.Policy ? consent.PolicyId : null,
            consent.Kind == ConsentKind.Policy ? consent.PolicyVersion : null,
            outcome.EventIds);
        var auditPayload = JsonSerializer.SerializeToElement(audit, OpsJson.Options);
        var appended = await session.AppendAsync(ConsentEventTypes.AuditStream, null, [Draft(prepared, ConsentEventTypes.MutationCommitted, 1, auditPayload, sourceRef, commandId + "#audit", null, now, ConsentEventTypes.AuditStream)], cancellationToken);
        return appended[0].Event.Envelope.EventId;
    }

    private static EventEnvelope Draft(Prepared prepared, string eventType, int schemaVersion, JsonElement payload, string sourceRef, string nativeId, long? sequence, DateTimeOffset occurredAt, string streamId) =>
        EventDraft.Create(
            eventType, schemaVersion, payload, sourceRef, nativeId, sequence, occurredAt,
            new Causation(prepared.Bound!.CorrelationId!, prepared.CommandId, CausationType.Command),
            prepared.Actor!, prepared.Capability!.CapabilityId, prepared.Capability.StateRef, prepared.Scope!, streamId);

    private static string ConsentStream(ConsentGrant consent, string commandId) =>
        consent.Kind == ConsentKind.Signature
            ? "core:consent-" + ContentHash.Of(System.Text.Encoding.UTF8.GetBytes(consent.KeyId + ":" + consent.Nonce))[..32]
            : "core:consent-" + commandId[..32];

    private static async ValueTask<Rejection?> CheckSignatureAsync(WriteSession session, ConsentGrant consent, ProposedInterpretation chosen, ActorRef actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (consent.Signer is null || consent.KeyId is null || consent.SignedAt is not { } signedAt || consent.ExpiresAt is not { } expiresAt || consent.Nonce is null || consent.Signature is null)
        {
            return new("consent_invalid", "a signature consent needs signer, key_id, signed_at, expires_at, nonce and signature");
        }

        if (!string.Equals(consent.Signer, actor.Id, StringComparison.Ordinal))
        {
            return new("consent_invalid", $"the signer '{consent.Signer}' is not the acting actor '{actor.Id}'");
        }

        if (!NoncePattern().IsMatch(consent.Nonce))
        {
            return new("consent_invalid", "nonce must be 16 to 64 characters of [A-Za-z0-9_-]");
        }

        if (expiresAt <= signedAt || expiresAt - signedAt > ConsentSigning.MaxLifetime || signedAt > now + ClockSkew)
        {
            return new("consent_invalid", $"signed_at must not be in the future and expires_at must be after it by at most {ConsentSigning.MaxLifetime.TotalMinutes:0} minutes");
        }

        if (now >= expiresAt)
        {
            return new("consent_expired", $"the signature expired at {OpsJson.FormatInstant(expiresAt)}; sign the preview again");
        }

        var core = session.Core;
        var (keyAtSigning, revokedAtSigning) = core.SignerKeyAt(consent.KeyId, signedAt);
        if (keyAtSigning is null || revokedAtSigning is not null || !string.Equals(keyAtSigning.ActorId, consent.Signer, StringComparison.Ordinal))
        {
            return new("key_not_active", $"key {consent.KeyId} was not an active key of '{consent.Signer}' at the signing time {OpsJson.FormatInstant(signedAt)}");
        }

        if (core.SignerKeyAt(consent.KeyId, now).Revoked is { } revokedNow)
        {
            // Stricter than "active at signing time": signed_at is the signer's claim, so a revoked key signs nothing more.
            return new("key_not_active", $"key {consent.KeyId} has been revoked ({revokedNow.Reason}); its signatures are no longer accepted");
        }

        var bytes = ConsentSigning.SignedBytes(chosen.PreviewHash, chosen.InterpretationId, consent.Signer, consent.KeyId, signedAt, expiresAt, consent.Nonce);
        bool valid;
        try
        {
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(keyAtSigning.PublicKey), out _);
            valid = key.VerifyData(bytes, Convert.FromBase64String(consent.Signature), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (FormatException)
        {
            valid = false;
        }

        if (!valid)
        {
            return new("signature_invalid", "the signature does not verify for this preview, interpretation, signer, key, times and nonce");
        }

        if (await session.StreamVersionAsync(ConsentStream(consent, string.Empty), cancellationToken) > 0)
        {
            return new("signature_already_used", "this signature (its nonce) was already used by a commit; a signature is used once");
        }

        return null;
    }

    private static Rejection? CheckPolicy(CoreState core, ConsentGrant consent, string commandType, string targetRef, string actorId, DateTimeOffset now)
    {
        if (consent.PolicyId is null || consent.PolicyVersion is null)
        {
            return new("consent_invalid", "a policy consent needs policy_id and policy_version");
        }

        if (commandType.StartsWith("core.", StringComparison.Ordinal))
        {
            return new("policy_not_applicable", "core.* commands need a signer's consent; no policy approves them");
        }

        var version = core.PolicyVersionsAt(consent.PolicyId, now).FirstOrDefault(v => v.Version == consent.PolicyVersion);
        if (version is null || version.Status != "active")
        {
            return new("policy_not_applicable", $"policy {CapabilityEvaluator.Short(consent.PolicyId)} v{consent.PolicyVersion} is {version?.Status ?? "unknown"}, not active");
        }

        return ConsentScope.Covers(version.Scope, commandType, targetRef, actorId)
            ? null
            : new("policy_not_applicable", $"policy {version.Name} v{version.Version} does not cover {commandType} on '{targetRef}' by '{actorId}'");
    }

    private (IdentityScope? Scope, Rejection? Rejection) DeriveScope(IdentityScope? claimed, ActorRef? claimedActor, ActorRegistered actor, CallerContext caller)
    {
        var derived = new IdentityScope(actor.TenantId, options.Mode, actor.ActorId, caller.SurfaceId, claimed?.ProjectId, claimed?.RunId);
        if (claimedActor is not null && (claimedActor.Id != actor.ActorId || claimedActor.Kind != actor.Kind))
        {
            return (null, new Rejection("identity_mismatch", $"actor '{claimedActor.Id}' ({claimedActor.Kind}) does not match the authenticated actor '{actor.ActorId}' ({actor.Kind}); identity comes from authentication"));
        }

        if (claimed is null)
        {
            return (derived, null);
        }

        // Seed 001 §5: server binding wins; a disagreeing claim is rejected, never silently overridden.
        string? Mismatch(string field, string? claim, string? actual) =>
            claim is not null && !string.Equals(claim, actual, StringComparison.Ordinal) ? $"{field} '{claim}' does not match the authenticated {field} '{actual}'" : null;
        var problem = Mismatch("tenant_id", claimed.TenantId, derived.TenantId)
            ?? Mismatch("mode", claimed.Mode, derived.Mode)
            ?? Mismatch("user_id", claimed.UserId, derived.UserId)
            ?? Mismatch("surface_id", claimed.SurfaceId, derived.SurfaceId);
        return problem is null ? (derived, null) : (null, new Rejection("identity_mismatch", problem + "; identity comes from authentication"));
    }

    private static async ValueTask<CommandOutcome> RecordAsync(WriteSession session, CommandOutcome outcome, string contentHash, CancellationToken cancellationToken)
    {
        await OutcomeStore.RecordAsync(session, outcome, contentHash, cancellationToken);
        return outcome;
    }

    private static CommandOutcome Rejected(string commandId, string commandType, Rejection rejection, DateTimeOffset at) => new()
    {
        CommandId = commandId,
        CommandType = commandType,
        Status = CommandStatus.Rejected,
        ReasonCode = rejection.Code,
        Reason = rejection.Message.TrimEnd('.') + ". Nothing was appended.",
        DecidedAt = at,
    };

    [GeneratedRegex("^[A-Za-z0-9_-]{16,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex NoncePattern();

    private sealed record Rejection(string Code, string Message);

    private sealed record Prepared(
        string? CommandId,
        string? ContentHash,
        ActorRef? Actor,
        IdentityScope? Scope,
        CapabilityDecision? Capability,
        CommandEnvelope? Bound,
        CommandOutcome? Rejection,
        IReadOnlyList<PreparedInterpretation>? Interpretations,
        SessionStreamReader? Streams)
    {
        /// <summary>The command was already decided; <see cref="Rejection"/> holds its first outcome.</summary>
        public bool IsReplay { get; init; }

        public static Prepared Fail(CommandOutcome rejection) => new(null, null, null, null, null, null, rejection, null, null);
    }

    private sealed record PreparedInterpretation(ProposedInterpretation Proposed, string StreamKey, string StreamId, IReadOnlyList<(EventRegistration Type, JsonElement Payload)> Events, JsonElement? FinalState);

    /// <summary>Reads the owner's streams inside the writer transaction and remembers each stream's version for the append.</summary>
    private sealed class SessionStreamReader(WriteSession session, string prefix) : IStreamReader
    {
        private readonly Dictionary<string, long> _observed = new(StringComparer.Ordinal);

        public async ValueTask<IReadOnlyList<EventEnvelope>> ReadStreamAsync(string streamKey, CancellationToken cancellationToken)
        {
            var events = await session.ReadStreamAsync(prefix + streamKey, cancellationToken);
            _observed[streamKey] = events.Count == 0 ? 0 : events[^1].Envelope.StreamVersion;
            return events.Select(e => e.Envelope).ToList();
        }

        public long? ObservedVersion(string streamKey) => _observed.TryGetValue(streamKey, out var v) ? v : null;
    }
}
