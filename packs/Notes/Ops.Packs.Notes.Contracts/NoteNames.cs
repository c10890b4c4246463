namespace Ops.Packs.Notes.Contracts;

/// <summary>
/// The registered names of the notes pack (pack id <c>notes</c>, domain <c>notes</c>), its routing
/// resource kind and its target_ref conventions. Clients and tests use these instead of literals.
/// </summary>
public static class NoteNames
{
    /// <summary>The pack id from <c>pack.json</c>.</summary>
    public const string PackId = "notes";

    /// <summary>Routing resource kind that stores the <see cref="NoteIndex"/> documents (seed 001: <c>Ops:Routes:notes_store</c> must exist or the host refuses to start).</summary>
    public const string ResourceKind = "notes_store";

    /// <summary>Command type of <see cref="Contracts.CreateNote"/> (WRITE_INTERNAL).</summary>
    public const string CreateNote = "pack.notes.notes.CreateNote";

    /// <summary>Command type of <see cref="Contracts.UpdateNote"/> (WRITE_INTERNAL).</summary>
    public const string UpdateNote = "pack.notes.notes.UpdateNote";

    /// <summary>
    /// target_ref prefix naming a note by its exact title, for example <c>note-title:Plan</c>. When several of
    /// the caller's notes have that title, the proposal lists each as an interpretation, most recently
    /// updated first, none chosen (seed 000 §2.2).
    /// </summary>
    public const string TitleTargetPrefix = "note-title:";

    /// <summary>Command type of <see cref="Contracts.DeleteNote"/> (WRITE_INTERNAL).</summary>
    public const string DeleteNote = "pack.notes.notes.DeleteNote";

    /// <summary>Event type of <see cref="Contracts.NoteCreated"/>, payload schema version 1.</summary>
    public const string NoteCreated = "pack.notes.notes.NoteCreated";

    /// <summary>Event type of <see cref="Contracts.NoteUpdated"/>, payload schema version 1.</summary>
    public const string NoteUpdated = "pack.notes.notes.NoteUpdated";

    /// <summary>Event type of <see cref="Contracts.NoteDeleted"/> (the tombstone), payload schema version 1.</summary>
    public const string NoteDeleted = "pack.notes.notes.NoteDeleted";

    /// <summary>Projection of one <see cref="NoteDocument"/> per live note, keyed by note_id; version 1.</summary>
    public const string NoteIndex = "pack.notes.notes.NoteIndex";

    /// <summary>Query name of <see cref="Contracts.GetNote"/>; route <see cref="GetNoteRoute"/>.</summary>
    public const string GetNote = "pack.notes.notes.GetNote";

    /// <summary>Query name of <see cref="Contracts.ListNotes"/>; route <see cref="ListNotesRoute"/>.</summary>
    public const string ListNotes = "pack.notes.notes.ListNotes";

    /// <summary>Route of <see cref="GetNote"/>: <c>GET /v1/queries/notes/get?note_id=...</c>.</summary>
    public const string GetNoteRoute = "get";

    /// <summary>Route of <see cref="ListNotes"/>: <c>GET /v1/queries/notes/list?surface_id=...&amp;project_id=...</c>.</summary>
    public const string ListNotesRoute = "list";

    /// <summary>The target_ref every <see cref="Contracts.CreateNote"/> must use; any other is rejected with <see cref="NoteRejections.InvalidTarget"/>.</summary>
    public const string NewNoteTarget = "note-new";

    /// <summary>The target_ref (and pack-local stream key) of an existing note.</summary>
    /// <param name="noteId">The note's id, 32 lowercase hex characters.</param>
    /// <returns><c>note-&lt;note_id&gt;</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="noteId"/> is null or empty.</exception>
    public static string TargetOf(string noteId)
    {
        ArgumentException.ThrowIfNullOrEmpty(noteId);
        return "note-" + noteId;
    }
}
