using Ops.Core.Envelopes;

namespace Ops.Core.Commands;

/// <summary>
/// The one way commands enter the log (constitution A2, A4): namespaced registry, capability check
/// as of the decision time, idempotency by command_id, the handler's decision against current state,
/// one atomic append. Every call returns exactly one <see cref="CommandOutcome"/>; it never throws
/// for a bad command.
/// </summary>
public interface ICommandGateway
{
    /// <summary>Decides and, when accepted, appends a command.</summary>
    /// <param name="envelope">The command. <paramref name="caller"/> is the actor; an envelope actor that differs is rejected (<c>identity_mismatch</c>).</param>
    /// <param name="caller">The authenticated caller (server-derived identity, seed 001).</param>
    /// <param name="cancellationToken">Cancels waiting; a command already queued for the writer may still be decided.</param>
    /// <returns>Accepted with the appended event ids, or rejected with a reason code: <c>invalid_envelope</c>,
    /// <c>unknown_command_type</c>, <c>invalid_payload</c>, <c>identity_mismatch</c>, <c>command_id_mismatch</c>,
    /// <c>safety_class_unsupported</c>, <c>unknown_actor</c>, <c>capability_denied</c>, <c>command_id_conflict</c>,
    /// <c>concurrency_conflict</c>, or a handler's own code.</returns>
    /// <exception cref="Log.LogCommitException">The database could not commit; nothing was written.</exception>
    Task<CommandOutcome> SendAsync(CommandEnvelope envelope, CallerContext caller, CancellationToken cancellationToken);
}

/// <summary>Who is calling, as the server established it.</summary>
/// <param name="Actor">The authenticated actor.</param>
/// <param name="SurfaceId">The surface the call came through: <c>api</c>, <c>cli</c>, ...</param>
public sealed record CallerContext(ActorRef Actor, string SurfaceId);
