using Ops.Core.Envelopes;
using Ops.Core.Packs;
using Ops.Packs.Notes.Contracts;

namespace Ops.Packs.Notes;

/// <summary>
/// Entry type of the notes pack (seed 001 §2.C: a durable, user-owned notes store). Declares
/// names only; the kernel finds the handlers, the projection and the queries in this assembly.
/// The only public type of the pack: the host creates it by the manifest's entry_type.
/// </summary>
public sealed class NotesPack : IOpsPack
{
    public void Register(IPackBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder
            .AddEvent<NoteCreated>(NoteNames.NoteCreated)
            .AddEvent<NoteUpdated>(NoteNames.NoteUpdated)
            .AddEvent<NoteDeleted>(NoteNames.NoteDeleted)
            .AddCommand(NoteNames.CreateNote, SafetyClass.WriteInternal, CommandTarget<CreateNote>.FromTargetRef(NoteNames.NewNoteTarget))
            .AddCommand(NoteNames.UpdateNote, SafetyClass.WriteInternal, CommandTarget<UpdateNote>.FromTargetRef("note-"))
            .AddCommand(NoteNames.DeleteNote, SafetyClass.WriteInternal, CommandTarget<DeleteNote>.FromTargetRef("note-"))
            .AddProjection<NoteDocument>(NoteNames.NoteIndex, 1, NoteNames.ResourceKind)
            .AddQuery<GetNote, NoteDocument?>(NoteNames.GetNote, NoteNames.GetNoteRoute)
            .AddQuery<ListNotes, NoteList>(NoteNames.ListNotes, NoteNames.ListNotesRoute);
    }
}
