using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Ops.Packs.Notes.Contracts;
using Ops.Testing;

namespace Ops.Packs.Notes.Tests;

/// <summary>
/// Issue 7's generated object-binding attack for every command type the notes pack registers: a capability scoped
/// to one note cannot act on another note by target_ref, by a title lookup that resolves to it, or by creating a
/// new one. A notes command type without a sample fails <see cref="EveryNotesCommand_HasABindingSample"/>.
/// </summary>
public sealed class ObjectBindingTests
{
    private static readonly string[] Types = [NoteNames.CreateNote, NoteNames.UpdateNote, NoteNames.DeleteNote];

    public static TheoryData<string> NotesCommandTypes() => new(Types);

    [Fact]
    public async Task EveryNotesCommand_HasABindingSample()
    {
        await using var notes = await NotesKernel.StartAsync();
        var registered = notes.Harness.Kernel.Registry.Commands.Keys.Where(k => k.StartsWith("pack.notes.", StringComparison.Ordinal));
        Assert.Empty(registered.Except(Types, StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(NotesCommandTypes))]
    public async Task CapabilityForNoteA_CannotActOnNoteB(string commandType)
    {
        await using var notes = await NotesKernel.StartAsync();
        var (mallory, capability) = await notes.Harness.AddActorAsync("mallory", NotesKernel.NotesWriter);
        var a = await notes.CreateNoteAsync(mallory, "Alpha");
        var b = await notes.CreateNoteAsync(mallory, "Beta");
        var (noteA, noteB) = (NoteNames.TargetOf(a), NoteNames.TargetOf(b));
        var sample = commandType switch
        {
            NoteNames.CreateNote => new BindingSample(new(noteA, new CreateNote("New", "x"), noteA), new(noteB, new CreateNote("New", "x"), NoteNames.NewNoteTarget), TargetFromPayload: false),
            NoteNames.UpdateNote => new BindingSample(new(noteA, new UpdateNote(Content: "changed"), noteA), new(noteB, new UpdateNote(Content: "changed"), noteB), TargetFromPayload: false, [NoteNames.TitleTargetPrefix + "Beta"]),
            _ => new BindingSample(new(noteA, new DeleteNote(), noteA), new(noteB, new DeleteNote(), noteB), TargetFromPayload: false, [NoteNames.TitleTargetPrefix + "Beta"]),
        };

        // The attacker's only capability now covers note A alone.
        var narrowed = await notes.Harness.SendAsync("core.ChangeCapabilityScope", null, new ChangeCapabilityScope(capability, new CapabilityScope([commandType], [noteA], [SafetyClass.WriteInternal])));
        Assert.True(narrowed.IsAccepted, narrowed.Reason);

        var problems = await BindingAttacks.RunAsync(notes.Harness, mallory, commandType, sample);

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }
}
