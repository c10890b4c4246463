namespace Ops.Packs.Notes.Contracts;

/// <summary>
/// The rejection reason codes of the notes handlers (<c>CommandOutcome.ReasonCode</c>). A rejected
/// command appended nothing. Gateway codes (<c>invalid_payload</c>, <c>capability_denied</c>, ...) come on top.
/// </summary>
public static class NoteRejections
{
    /// <summary>The title is missing, whitespace only, or longer than <see cref="NoteLimits.MaxTitleLength"/>.</summary>
    public const string InvalidTitle = "invalid_title";

    /// <summary>The content is longer than <see cref="NoteLimits.MaxContentLength"/>, or is not JSON while content_type is <c>json</c>.</summary>
    public const string InvalidContent = "invalid_content";

    /// <summary>content_type is not one of <see cref="NoteContentTypes.All"/>.</summary>
    public const string InvalidContentType = "invalid_content_type";

    /// <summary>More than <see cref="NoteLimits.MaxTags"/> tags, a blank or too long tag, or a duplicate.</summary>
    public const string InvalidTags = "invalid_tags";

    /// <summary>A <see cref="CreateNote"/> whose target_ref is not <see cref="NoteNames.NewNoteTarget"/>.</summary>
    public const string InvalidTarget = "invalid_target";

    /// <summary>
    /// The target note does not exist, was deleted, or belongs to another user or tenant. The three
    /// cases share this code on purpose, so nobody learns that someone else's note exists.
    /// </summary>
    public const string NoteNotFound = "note_not_found";

    /// <summary>An <see cref="UpdateNote"/> that sets no field.</summary>
    public const string EmptyUpdate = "empty_update";

    /// <summary>An <see cref="UpdateNote"/> whose values equal the note's current values.</summary>
    public const string NoChange = "no_change";

    /// <summary>The command's scope has no user_id, so the note would have no owner.</summary>
    public const string UserRequired = "user_required";

    /// <summary>The note's stream already has events (a note_id collision); practically unreachable.</summary>
    public const string NoteExists = "note_exists";
}
