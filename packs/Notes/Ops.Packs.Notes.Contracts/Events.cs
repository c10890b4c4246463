namespace Ops.Packs.Notes.Contracts;

/// <summary>Who made a note (seed 001 <c>source</c>).</summary>
/// <param name="CreatedBy"><c>user</c> for human and service actors, <c>agent</c> for agent actors.</param>
/// <param name="AgentId">The agent's actor id when <paramref name="CreatedBy"/> is <c>agent</c>; otherwise omitted.</param>
/// <param name="RunId">The provenance run id of the creating command's scope, when it had one.</param>
public sealed record NoteSource(string CreatedBy, string? AgentId = null, string? RunId = null)
{
    /// <summary>The <c>created_by</c> value of notes made by people and services.</summary>
    public const string User = "user";

    /// <summary>The <c>created_by</c> value of notes made by agents.</summary>
    public const string Agent = "agent";
}

/// <summary>
/// <c>pack.notes.notes.NoteCreated</c>, schema version 1: a note exists. Identity fields are copied
/// from the command's server-derived scope, never from the client payload. Stream <c>pack.notes:note-&lt;note_id&gt;</c>.
/// </summary>
/// <param name="NoteId">32 lowercase hex characters (the first half of the creating command_id).</param>
/// <param name="TenantId">Owning tenant.</param>
/// <param name="Mode">Host mode when it was created (<c>system</c>, <c>enterprise</c>, <c>saas</c>, <c>lab</c>).</param>
/// <param name="UserId">Owning user: the authenticated actor's id.</param>
/// <param name="Title">1 to 200 characters.</param>
/// <param name="Content">0 to 100,000 characters.</param>
/// <param name="ContentType"><c>markdown</c>, <c>json</c> or <c>text</c>.</param>
/// <param name="Tags">Distinct tags, in the order given.</param>
/// <param name="Source">Who made it.</param>
/// <param name="CreatedAt">Kernel time of the decision (UTC).</param>
/// <param name="SurfaceId">Surface the command came through (<c>api</c>, <c>cli</c>, ...), when known.</param>
/// <param name="ProjectId">Project of the command's scope, when it had one.</param>
public sealed record NoteCreated(
    string NoteId,
    string TenantId,
    string Mode,
    string UserId,
    string Title,
    string Content,
    string ContentType,
    IReadOnlyList<string> Tags,
    NoteSource Source,
    DateTimeOffset CreatedAt,
    string? SurfaceId = null,
    string? ProjectId = null);

/// <summary>
/// <c>pack.notes.notes.NoteUpdated</c>, schema version 1: a note's editable fields now have these
/// values (all of them, not only the changed ones).
/// </summary>
/// <param name="NoteId">The note.</param>
/// <param name="TenantId">Owning tenant (unchanged).</param>
/// <param name="UserId">Owning user (unchanged).</param>
/// <param name="Title">Title after the update.</param>
/// <param name="Content">Content after the update.</param>
/// <param name="ContentType">Content type after the update.</param>
/// <param name="Tags">Tags after the update.</param>
/// <param name="UpdatedAt">Kernel time of the decision (UTC).</param>
public sealed record NoteUpdated(
    string NoteId,
    string TenantId,
    string UserId,
    string Title,
    string Content,
    string ContentType,
    IReadOnlyList<string> Tags,
    DateTimeOffset UpdatedAt);

/// <summary>
/// <c>pack.notes.notes.NoteDeleted</c>, schema version 1: the tombstone. The note's earlier events stay
/// in the log; it no longer appears in queries and accepts no further commands.
/// </summary>
/// <param name="NoteId">The note.</param>
/// <param name="TenantId">Owning tenant.</param>
/// <param name="UserId">Owning user.</param>
/// <param name="DeletedAt">Kernel time of the decision (UTC).</param>
public sealed record NoteDeleted(string NoteId, string TenantId, string UserId, DateTimeOffset DeletedAt);
