using Ops.Core.Consent;
using Ops.Core.Envelopes;

namespace Ops.Core.Commands;

/// <summary>
/// The one way commands enter the log (constitution A2, A4; seed 000). READ commands are sent and
/// decided at once. Every WRITE command is proposed (a pure preview, nothing written), consented to (a
/// signature bound to the preview, or an active policy) and committed (decided again, then events,
/// consent record and audit record in one transaction). No call throws for a bad command: each returns
/// a rejection with a reason code and the statement that nothing changed.
/// </summary>
public interface ICommandGateway
{
    /// <summary>Decides a READ command. A WRITE command sent here is rejected with <c>consent_required</c> and nothing is written.</summary>
    /// <param name="envelope">The command. <paramref name="caller"/> is the actor; an envelope actor that differs is rejected (<c>identity_mismatch</c>).</param>
    /// <param name="caller">The authenticated caller (server-derived identity, seed 001).</param>
    /// <param name="cancellationToken">Cancels waiting; a command already queued for the writer may still be decided.</param>
    /// <returns>Accepted with the appended event ids, or rejected with a reason code: <c>invalid_envelope</c>,
    /// <c>unknown_command_type</c>, <c>invalid_payload</c>, <c>identity_mismatch</c>, <c>command_id_mismatch</c>,
    /// <c>safety_class_unsupported</c>, <c>consent_required</c>, <c>unknown_actor</c>, <c>capability_denied</c>,
    /// <c>command_id_conflict</c>, <c>concurrency_conflict</c>, or a handler's own code.</returns>
    /// <exception cref="Log.LogCommitException">The database could not commit; nothing was written.</exception>
    Task<CommandOutcome> SendAsync(CommandEnvelope envelope, CallerContext caller, CancellationToken cancellationToken);

    /// <summary>Proposes a command: decides it against current state without writing and returns every plausible interpretation with its preview (seed 000 §3–4).</summary>
    /// <param name="envelope">The command.</param>
    /// <param name="caller">The authenticated caller.</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>The proposal, or a rejection (also <c>cannot_preview</c> when the handler gives no preview). Nothing is written either way.</returns>
    Task<ProposeResult> ProposeAsync(CommandEnvelope envelope, CallerContext caller, CancellationToken cancellationToken);

    /// <summary>
    /// Commits a proposed command under consent (seed 000 §5–6). Decides again at the proposal's instant
    /// against current state; when the chosen interpretation's preview hash differs, or the consent is not
    /// valid, nothing is written and the reason says which: <c>preview_mismatch</c>, <c>proposal_expired</c>,
    /// <c>consent_invalid</c>, <c>consent_expired</c>, <c>key_not_active</c>, <c>signature_invalid</c>,
    /// <c>signature_already_used</c>, <c>policy_not_applicable</c>, <c>ambiguous</c>, plus the reasons of
    /// <see cref="SendAsync"/>. Nothing retries a failed commit.
    /// </summary>
    /// <param name="request">The command, the chosen interpretation, its preview hash and the consent.</param>
    /// <param name="caller">The authenticated caller; with signature consent the signer must be this actor.</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>The outcome and, when accepted, the final state and the audit record's event id.</returns>
    /// <exception cref="Log.LogCommitException">The database could not commit; nothing was written.</exception>
    Task<CommitResult> CommitAsync(CommitRequest request, CallerContext caller, CancellationToken cancellationToken);
}

/// <summary>Who is calling, as the server established it.</summary>
/// <param name="Actor">The authenticated actor.</param>
/// <param name="SurfaceId">The surface the call came through: <c>api</c>, <c>cli</c>, ...</param>
public sealed record CallerContext(ActorRef Actor, string SurfaceId)
{
    /// <summary>Where the call came in, for safety records: <c>POST /v1/commits</c>, <c>cli commit</c>, ... Default: the surface.</summary>
    public string? Route { get; init; }

    /// <summary>
    /// Identity the client claimed outside the envelope, by scope field name (<c>tenant_id</c>, <c>user_id</c>,
    /// <c>actor_id</c>, <c>mode</c>, <c>surface_id</c>), for example from <c>X-Tenant-Id</c> headers. Server-derived
    /// identity wins; a claim that differs is refused with <c>identity_mismatch</c> (seed 001 §5).
    /// </summary>
    public IReadOnlyDictionary<string, string>? Claims { get; init; }
}

/// <summary>A proposal, or the outcome that stands instead of one.</summary>
/// <param name="Proposal">The proposal when the command could be decided.</param>
/// <param name="Rejection">Otherwise: the rejection, or, for a command already committed, its first outcome (<see cref="CommandOutcome.Replayed"/>).</param>
public sealed record ProposeResult(Proposal? Proposal, CommandOutcome? Rejection);
