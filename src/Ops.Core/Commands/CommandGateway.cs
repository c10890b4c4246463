using Microsoft.Extensions.Logging;
using Ops.Core.Capabilities;
using Ops.Core.Commands.Pipeline;
using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Core.Log;
using Ops.Core.Packs;
using Ops.Core.Safety;
using Ops.Core.Storage;

namespace Ops.Core.Commands;

/// <summary>
/// See <see cref="ICommandGateway"/>. Runs the pipeline: validate → bind identity → bind the target object →
/// idempotency → authorize → decide (preview) → verify consent → commit, each a small stage with a typed
/// result (Commands/Pipeline). Every refusal on a trust boundary is recorded on the safety stream in its
/// own transaction, after the refused command has written nothing.
/// </summary>
[Authority(AuthorityClass.LogAppender, "events", "command_outcomes")]
internal sealed class CommandGateway(KernelRegistry registry, LogWriter writer, Projections.ProjectionEngine projections, Func<string, Projections.ProjectionAccess, IProjectionReader> readerFor, KernelOptions options, SafetyRecorder safety, TimeProvider time, ILogger<CommandGateway> logger) : ICommandGateway
{
    /// <summary>How long a proposal can be committed after it was made.</summary>
    public static readonly TimeSpan ProposalLifetime = TimeSpan.FromMinutes(15);

    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    public async Task<CommandOutcome> SendAsync(CommandEnvelope envelope, CallerContext caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(caller);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var activity = OpsTelemetry.Source.StartActivity("ops.command.send");
        activity?.SetTag("ops.command_type", envelope.CommandType);
        var validated = ValidateStage.Run(registry, envelope, logger);
        if (registry.Commands.TryGetValue(envelope.CommandType ?? string.Empty, out var known) && known.SafetyClass != SafetyClass.Read)
        {
            // Before any other check: a mutation never takes this path, whatever else is wrong with it.
            validated = new Rejection(ReasonCodes.ConsentRequired, $"{known.Name} is {known.SafetyClass}: a mutation is proposed first (POST /v1/proposals), then committed with consent bound to its preview (POST /v1/commits); seed 000 §2.1");
        }

        Attempt attempt;
        if (validated.Rejection is { } invalid)
        {
            attempt = new Attempt(Outcomes.Rejected(envelope.CommandId ?? string.Empty, envelope.CommandType ?? string.Empty, invalid, time.GetUtcNow()), invalid, null);
        }
        else
        {
            attempt = await writer.ExecuteAsync((session, ct) => SendInSessionAsync(session, validated.Value!, envelope, caller, ct), cancellationToken);
        }

        await RecordSafetyAsync("send", caller, attempt, envelope.TargetRef, cancellationToken);
        CoreLog.CommandDecided(logger, attempt.Outcome.CommandType, attempt.Outcome.CommandId, attempt.Outcome.Status.ToString());
        OpsTelemetry.Record("send", attempt.Outcome.CommandType, attempt.Outcome, started);
        return attempt.Outcome;
    }

    public async Task<ProposeResult> ProposeAsync(CommandEnvelope envelope, CallerContext caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(caller);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var activity = OpsTelemetry.Source.StartActivity("ops.command.propose");
        activity?.SetTag("ops.command_type", envelope.CommandType);
        var validated = ValidateStage.Run(registry, envelope, logger);
        if (validated.Rejection is { } invalid)
        {
            var rejected = Outcomes.Rejected(envelope.CommandId ?? string.Empty, envelope.CommandType ?? string.Empty, invalid, time.GetUtcNow());
            await RecordSafetyAsync("propose", caller, new Attempt(rejected, invalid, null), envelope.TargetRef, cancellationToken);
            OpsTelemetry.Record("propose", rejected.CommandType, rejected, started);
            return new ProposeResult(null, rejected);
        }

        await CatchUpProjectionsAsync(validated.Value!.Registration.Owner, cancellationToken);

        // Runs on the writer so it sees exactly the state a commit would; it appends nothing.
        var (result, attempt) = await writer.ExecuteAsync(
            async (session, ct) =>
            {
                var now = session.Core.EnforcementTime(session.Time.GetUtcNow());
                var prepared = await PrepareAsync(session, validated.Value!, envelope, caller, now, now, ct);
                if (prepared is not Ready ready)
                {
                    var stop = Stop(prepared, validated.Value!.Registration.Name, envelope, now);
                    return (new ProposeResult(null, stop.Outcome), stop);
                }

                var interpretations = ready.Interpretations.Select(i => i.Proposed).ToList();
                var proposalId = ContentHash.OfValue(new { command_id = ready.Identity.CommandId, proposed_at = now, preview_hashes = interpretations.Select(i => i.PreviewHash) });
                return (new ProposeResult(new Proposal(proposalId, ready.Bound, now, now + ProposalLifetime, interpretations), null), (Attempt?)null);
            },
            cancellationToken);
        if (attempt is not null)
        {
            await RecordSafetyAsync("propose", caller, attempt, envelope.TargetRef, cancellationToken);
        }

        OpsTelemetry.Record("propose", validated.Value!.Registration.Name, result.Rejection, started);
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
        var validated = envelope is null ? new Rejection(ReasonCodes.InvalidEnvelope, "command is required") : ValidateStage.Run(registry, envelope, logger);
        if (validated.Rejection is null && request.Consent is null)
        {
            validated = new Rejection(ReasonCodes.ConsentInvalid, "consent is required: a signature bound to the preview, or an active policy");
        }

        if (validated.Rejection is null && request.Consent!.Kind == ConsentKind.Policy && (request.ProposedAt is not null || request.PreviewHash is not null))
        {
            // A policy consents at the server's clock: a client-chosen proposed_at would let it back-date the decision.
            validated = new Rejection(ReasonCodes.InvalidEnvelope, "a policy commit is decided at the server's clock: omit proposed_at and preview_hash (name interpretation_id to pick an interpretation of an ambiguous command)");
        }

        if (validated.Rejection is { } invalid)
        {
            var rejected = Outcomes.Rejected(envelope?.CommandId ?? string.Empty, envelope?.CommandType ?? string.Empty, invalid, time.GetUtcNow());
            await RecordSafetyAsync("commit", caller, new Attempt(rejected, invalid, null), envelope?.TargetRef, cancellationToken);
            OpsTelemetry.Record("commit", rejected.CommandType, rejected, started);
            return new CommitResult(rejected, null, null);
        }

        var command = validated.Value!;
        if (request.Consent!.Kind == ConsentKind.Policy)
        {
            // A one-step policy commit is also its proposal; a signed commit re-checks its interpretation on the streams.
            await CatchUpProjectionsAsync(command.Registration.Owner, cancellationToken);
        }

        var (result, attempt) = await writer.ExecuteAsync((session, ct) => CommitInSessionAsync(session, command, request, caller, ct), cancellationToken);
        if (attempt is not null)
        {
            await RecordSafetyAsync("commit", caller, attempt, envelope?.TargetRef, cancellationToken);
        }

        CoreLog.CommandDecided(logger, command.Registration.Name, result.Outcome.CommandId, result.Outcome.Status.ToString());
        OpsTelemetry.Record("commit", command.Registration.Name, result.Outcome, started);
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

    /// <summary>Everything before consent, shared by send, propose and commit: identity, object, idempotency, capability as of <paramref name="now"/>, then the decision at <paramref name="decisionTime"/>.</summary>
    private async ValueTask<Prepared> PrepareAsync(WriteSession session, Validated validated, CommandEnvelope envelope, CallerContext caller, DateTimeOffset now, DateTimeOffset decisionTime, CancellationToken cancellationToken)
    {
        var core = session.Core;
        var identity = IdentityStage.Run(core, options.Mode, validated, envelope, caller, now);
        if (identity.Rejection is { } notIdentified)
        {
            return new Stopped(notIdentified, null, Record: false);
        }

        var id = identity.Value!;
        var target = TargetStage.Run(validated, envelope, id.CommandId, core, logger);
        if (target.Rejection is { } notBound)
        {
            return new Stopped(notBound, id, Record: false);
        }

        if (await OutcomeStore.FindAsync(session, id.CommandId, cancellationToken) is { } found)
        {
            // Already decided: the first outcome stands (constitution A2); nothing is decided again.
            return found.ContentHash == id.ContentHash
                ? new Replayed(found.Outcome with { Replayed = true }, id)
                : new Stopped(new Rejection(ReasonCodes.CommandIdConflict, "this command_id (idempotency key) was already used for a command with different content"), id, Record: false);
        }

        var capability = AuthorizeStage.Run(core, validated, id.Actor.ActorId, target.Value!, envelope.CapabilityId, now);
        if (capability.Rejection is { } denied)
        {
            return new Stopped(denied, id, Record: true);
        }

        var bound = DecideStage.Bind(envelope, id, target.Value!, capability.Value!, decisionTime);
        var streams = new SessionStreamReader(session, validated.Registration.StreamPrefix);
        // The handler's projection reads are scoped to the caller's tenant and the host's mode by the kernel (seed 001).
        var reader = readerFor(validated.Registration.Owner, new Projections.ProjectionAccess(id.Scope.TenantId, id.Scope.Mode, id.Actor.ActorId, core, now));
        var decided = await DecideStage.RunAsync(registry, validated, bound, id, capability.Value!, decisionTime, now, streams, core, reader, logger, cancellationToken);
        return decided.Rejection is { } refused
            ? new Stopped(refused, id, Record: true) { Capability = capability.Value }
            : new Ready(id, capability.Value!, bound, decided.Value!, streams);
    }

    private async ValueTask<Attempt> SendInSessionAsync(WriteSession session, Validated validated, CommandEnvelope envelope, CallerContext caller, CancellationToken cancellationToken)
    {
        var now = session.Core.EnforcementTime(session.Time.GetUtcNow());
        var prepared = await PrepareAsync(session, validated, envelope, caller, now, now, cancellationToken);
        if (prepared is not Ready ready)
        {
            var stop = Stop(prepared, validated.Registration.Name, envelope, now);
            if (prepared is Stopped { Record: true, Identity: { } id })
            {
                await OutcomeStore.RecordAsync(session, stop.Outcome, id.ContentHash, cancellationToken);
            }

            return stop;
        }

        if (ready.Interpretations.Count != 1)
        {
            var ambiguous = new Rejection(ReasonCodes.Ambiguous, "the command has several interpretations; propose it and commit the one you mean");
            return new Attempt(Outcomes.Rejected(ready.Identity.CommandId, validated.Registration.Name, ambiguous, now), ambiguous, ready.Identity);
        }

        var chosen = ready.Interpretations[0];
        var (outcome, conflict) = await CommitStage.AppendAsync(session, validated.Registration, ready.Bound, ready.Identity, ready.Capability, chosen, ready.Streams.ObservedVersion(chosen.StreamKey), now, cancellationToken);
        return new Attempt(outcome, conflict, ready.Identity);
    }

    private async ValueTask<(CommitResult Result, Attempt? Attempt)> CommitInSessionAsync(WriteSession session, Validated validated, CommitRequest request, CallerContext caller, CancellationToken cancellationToken)
    {
        var now = session.Core.EnforcementTime(session.Time.GetUtcNow());
        var envelope = request.Command;
        var consent = request.Consent;
        var name = validated.Registration.Name;
        (CommitResult, Attempt?) Fail(Rejection rejection, BoundIdentity? identity)
        {
            var outcome = Outcomes.Rejected(identity?.CommandId ?? envelope.CommandId ?? string.Empty, name, rejection, now);
            return (new CommitResult(outcome, null, null), new Attempt(outcome, rejection, identity));
        }

        // A signature is always bound to a proposal's instant; a policy consents at the server's clock.
        DateTimeOffset decisionTime;
        if (consent.Kind == ConsentKind.Policy)
        {
            decisionTime = now;
        }
        else if (request.ProposedAt is not { } proposedAt)
        {
            return Fail(new Rejection(ReasonCodes.InvalidEnvelope, "proposed_at is required: commit the proposal's proposed_at with its preview_hash"), null);
        }
        else if (proposedAt > now + ClockSkew || now - proposedAt > ProposalLifetime)
        {
            return Fail(new Rejection(ReasonCodes.ProposalExpired, $"the proposal of {OpsJson.FormatInstant(proposedAt)} can be committed only within {ProposalLifetime.TotalMinutes:0} minutes; propose again"), null);
        }
        else
        {
            decisionTime = proposedAt;
        }

        var prepared = await PrepareAsync(session, validated, envelope, caller, now, decisionTime, cancellationToken);
        if (prepared is Replayed replayed && consent.Kind == ConsentKind.Signature && consent.KeyId is not null && consent.Nonce is not null
            && await session.StreamVersionAsync(ConsentStage.ConsentStream(consent, string.Empty), cancellationToken) > 0)
        {
            return Fail(new Rejection(ReasonCodes.SignatureAlreadyUsed, "this signature (its nonce) was already used by a commit; a signature is used once"), replayed.Identity);
        }

        if (prepared is not Ready ready)
        {
            // A rejected commit writes nothing, not even the rejection (seed 000 §6: no partial writes).
            var stop = Stop(prepared, name, envelope, now);
            return (new CommitResult(stop.Outcome, null, null), stop);
        }

        PreparedInterpretation? chosen;
        if (request.InterpretationId is null && request.PreviewHash is null)
        {
            if (ready.Interpretations.Count != 1)
            {
                return Fail(new Rejection(ReasonCodes.Ambiguous, $"the command has {ready.Interpretations.Count} interpretations; propose it and commit the one you mean"), ready.Identity);
            }

            chosen = ready.Interpretations[0];
        }
        else
        {
            chosen = ready.Interpretations.FirstOrDefault(i => i.Proposed.InterpretationId == request.InterpretationId);
            var hashDiffers = chosen is not null && request.PreviewHash is not null && !string.Equals(chosen.Proposed.PreviewHash, request.PreviewHash, StringComparison.Ordinal);
            if (chosen is null || hashDiffers || (consent.Kind == ConsentKind.Signature && request.PreviewHash is null))
            {
                return Fail(new Rejection(ReasonCodes.PreviewMismatch, $"decided again against current state, interpretation {request.InterpretationId} {(chosen is null ? "is no longer plausible" : $"now previews as {chosen.Proposed.PreviewHash}, not the {request.PreviewHash} consented to")}: the state changed since the preview, or the command differs from the one proposed"), ready.Identity);
            }
        }

        var consentFailure = await ConsentStage.CheckAsync(session.Core, consent, chosen.Proposed, name, chosen.StreamKey, ready.Identity.ActorRef, now, async stream => await session.StreamVersionAsync(stream, cancellationToken) > 0);
        if (consentFailure is not null)
        {
            return Fail(consentFailure, ready.Identity);
        }

        var (outcome, conflict) = await CommitStage.AppendAsync(session, validated.Registration, ready.Bound, ready.Identity, ready.Capability, chosen, ready.Streams.ObservedVersion(chosen.StreamKey), now, cancellationToken);
        if (!outcome.IsAccepted)
        {
            return (new CommitResult(outcome, null, null), new Attempt(outcome, conflict, ready.Identity));
        }

        var auditId = await CommitStage.AppendConsentRecordsAsync(session, ready.Bound, ready.Identity, ready.Capability, chosen, consent, outcome, envelope.TargetRef, now, cancellationToken);
        await CommitStage.EnqueueEgressAsync(session, validated.Registration, ready.Bound, ready.Identity, chosen, now, cancellationToken);
        return (new CommitResult(outcome, chosen.FinalState, auditId), null);
    }

    private static Attempt Stop(Prepared prepared, string commandType, CommandEnvelope envelope, DateTimeOffset now) => prepared switch
    {
        Replayed replayed => new Attempt(replayed.Outcome, null, replayed.Identity),
        Stopped stopped => new Attempt(
            Outcomes.Rejected(stopped.Identity?.CommandId ?? envelope.CommandId ?? string.Empty, commandType, stopped.Rejection, now) with
            {
                CapabilityId = stopped.Capability?.CapabilityId,
                CapabilityStateRef = stopped.Capability?.StateRef,
            },
            stopped.Rejection,
            stopped.Identity),
        _ => throw new System.Diagnostics.UnreachableException("A ready command does not stop."),
    };

    /// <summary>Seed 001: every safety decision is persisted with its justification, in its own transaction, coalesced per actor and reason.</summary>
    private async ValueTask RecordSafetyAsync(string stage, CallerContext caller, Attempt attempt, string? targetRef, CancellationToken cancellationToken)
    {
        if (attempt.Rejection is not { } rejection || !Rejection.IsSafetyCode(rejection.Code))
        {
            return;
        }

        var tenant = attempt.Identity?.Actor.TenantId ?? (writer.CommittedCore.Actors.TryGetValue(caller.Actor.Id, out var actor) ? actor.TenantId : null);
        await safety.RecordAsync(
            new SafetyDecision(caller.Route ?? $"{caller.SurfaceId} {stage}", caller.Actor.Id, tenant, attempt.Identity?.ContentHash, rejection.Code, rejection.Message, rejection.Field, rejection.Claimed, rejection.Derived)
            {
                ObjectRef = targetRef ?? attempt.Identity?.ContentHash,
            },
            cancellationToken);
    }

    /// <summary>What a run of the pipeline ended with, for the caller and for the safety record.</summary>
    private sealed record Attempt(CommandOutcome Outcome, Rejection? Rejection, BoundIdentity? Identity);

    private abstract record Prepared;

    /// <summary>Stopped by a stage; <see cref="Record"/> when the stop is a decision worth keeping as the command's outcome.</summary>
    private sealed record Stopped(Rejection Rejection, BoundIdentity? Identity, bool Record) : Prepared
    {
        public CapabilityDecision? Capability { get; init; }
    }

    private sealed record Replayed(CommandOutcome Outcome, BoundIdentity Identity) : Prepared;

    private sealed record Ready(BoundIdentity Identity, CapabilityDecision Capability, CommandEnvelope Bound, IReadOnlyList<PreparedInterpretation> Interpretations, SessionStreamReader Streams) : Prepared;

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
