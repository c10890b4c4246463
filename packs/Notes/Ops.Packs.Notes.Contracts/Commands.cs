namespace Ops.Packs.Notes.Contracts;

/// <summary>
/// <c>pack.notes.notes.CreateNote</c> (WRITE_INTERNAL): creates a note owned by the caller, with
/// target_ref <see cref="NoteNames.NewNoteTarget"/>. Accepted: one <see cref="NoteCreated"/> on stream
/// <c>note-&lt;note_id&gt;</c>, where note_id is the first 32 hex characters of the command_id (so a
/// resent command, or the same content without an idempotency key, yields the same note).
/// </summary>
/// <remarks>
/// tenant_id, mode, user_id, surface_id, project_id and run_id are not payload fields: they come from
/// the authenticated caller and the envelope's scope. A payload that names any of them is rejected
/// with <c>invalid_payload</c> (unknown members are refused). Rejections: <see cref="NoteRejections.InvalidTarget"/>,
/// <see cref="NoteRejections.InvalidTitle"/>, <see cref="NoteRejections.InvalidContent"/>,
/// <see cref="NoteRejections.InvalidContentType"/>, <see cref="NoteRejections.InvalidTags"/>,
/// <see cref="NoteRejections.UserRequired"/>.
/// </remarks>
/// <param name="Title">1 to <see cref="NoteLimits.MaxTitleLength"/> characters, not only whitespace.</param>
/// <param name="Content">0 to <see cref="NoteLimits.MaxContentLength"/> characters.</param>
/// <param name="ContentType"><c>markdown</c> (default), <c>json</c> (content must parse as JSON) or <c>text</c>.</param>
/// <param name="Tags">Up to <see cref="NoteLimits.MaxTags"/> distinct tags of 1 to <see cref="NoteLimits.MaxTagLength"/> characters; omitted means none.</param>
public sealed record CreateNote(string Title, string Content, string ContentType = NoteContentTypes.Markdown, IReadOnlyList<string>? Tags = null);

/// <summary>
/// <c>pack.notes.notes.UpdateNote</c> (WRITE_INTERNAL): changes the fields that are set, with target_ref
/// <c>note-&lt;note_id&gt;</c>. Omitted (or null) fields keep their value; <c>tags: []</c> clears the tags.
/// Accepted: one <see cref="NoteUpdated"/> holding the note's full new values.
/// </summary>
/// <remarks>
/// Rejections: <see cref="NoteRejections.EmptyUpdate"/>, the validation codes of <see cref="CreateNote"/>,
/// <see cref="NoteRejections.NoteNotFound"/> (missing, deleted, or another user's or tenant's note),
/// and <see cref="NoteRejections.NoChange"/>.
/// Without an idempotency key the command_id derives from the content, so sending the same values to
/// the same note again returns the first outcome; send a fresh idempotency_key per intended change.
/// </remarks>
/// <param name="Title">New title, 1 to <see cref="NoteLimits.MaxTitleLength"/> characters; null keeps it.</param>
/// <param name="Content">New content, 0 to <see cref="NoteLimits.MaxContentLength"/> characters; null keeps it.</param>
/// <param name="ContentType">New content type (<c>markdown</c>, <c>json</c>, <c>text</c>); null keeps it. The resulting content must fit it.</param>
/// <param name="Tags">New tags, replacing all of them; null keeps them.</param>
public sealed record UpdateNote(string? Title = null, string? Content = null, string? ContentType = null, IReadOnlyList<string>? Tags = null);

/// <summary>
/// <c>pack.notes.notes.DeleteNote</c> (WRITE_INTERNAL): deletes the note at target_ref
/// <c>note-&lt;note_id&gt;</c>. The payload is <c>{}</c>. Accepted: one <see cref="NoteDeleted"/> tombstone; the
/// log keeps every earlier event and the note leaves <see cref="NoteNames.NoteIndex"/>.
/// </summary>
/// <remarks>Rejection: <see cref="NoteRejections.NoteNotFound"/> (missing, already deleted, or not the caller's).</remarks>
public sealed record DeleteNote;
