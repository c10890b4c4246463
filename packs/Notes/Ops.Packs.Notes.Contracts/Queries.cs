namespace Ops.Packs.Notes.Contracts;

/// <summary>Creation and last-change times of a note (UTC).</summary>
/// <param name="CreatedAt">When the note was created.</param>
/// <param name="UpdatedAt">When it last changed; equals <paramref name="CreatedAt"/> until the first update.</param>
public sealed record NoteTimestamps(DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// A live note as <see cref="NoteNames.NoteIndex"/> stores it and the queries return it: the data
/// model of seed 001 (section C) plus <c>content_type</c>. Deleted notes have no document.
/// </summary>
/// <param name="NoteId">32 lowercase hex characters; the document key.</param>
/// <param name="TenantId">Owning tenant.</param>
/// <param name="Mode">Host mode when the note was created.</param>
/// <param name="UserId">Owning user.</param>
/// <param name="Title">1 to 200 characters.</param>
/// <param name="Content">0 to 100,000 characters.</param>
/// <param name="ContentType"><c>markdown</c>, <c>json</c> or <c>text</c>.</param>
/// <param name="Tags">Distinct tags.</param>
/// <param name="Source">Who made it.</param>
/// <param name="Timestamps">Created and last updated (UTC).</param>
/// <param name="SurfaceId">Surface it was created through, when known.</param>
/// <param name="ProjectId">Project it belongs to, when any.</param>
public sealed record NoteDocument(
    string NoteId,
    string TenantId,
    string Mode,
    string UserId,
    string Title,
    string Content,
    string ContentType,
    IReadOnlyList<string> Tags,
    NoteSource Source,
    NoteTimestamps Timestamps,
    string? SurfaceId = null,
    string? ProjectId = null);

/// <summary>
/// <c>pack.notes.notes.GetNote</c> (READ, route <c>get</c>): one of the caller's notes. The result is the
/// <see cref="NoteDocument"/>, or <see langword="null"/> when the caller's tenant and user have no live
/// note with that id (a note of another user reads as missing).
/// </summary>
/// <param name="NoteId">The note's id, 32 lowercase hex characters.</param>
public sealed record GetNote(string NoteId);

/// <summary>
/// <c>pack.notes.notes.ListNotes</c> (READ, route <c>list</c>): the caller's live notes. Tenant and user
/// always come from the authenticated caller, so they are not arguments.
/// </summary>
/// <param name="SurfaceId">Only notes created through this surface; omitted means every surface.</param>
/// <param name="ProjectId">Only notes of this project; omitted means every project (and none).</param>
public sealed record ListNotes(string? SurfaceId = null, string? ProjectId = null);

/// <summary>The result of <see cref="ListNotes"/>.</summary>
/// <param name="Notes">Matching notes, most recently updated first, then by note_id (ordinal).</param>
public sealed record NoteList(IReadOnlyList<NoteDocument> Notes);
