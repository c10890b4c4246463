using Ops.Core.Envelopes;
using Ops.Core.Routing;
using Ops.Packs.Notes.Contracts;
using Ops.Testing;

namespace Ops.Packs.Notes.Tests;

public sealed class NotesPackTests
{
    [Fact]
    public async Task Register_NotesPack_DeclaresEveryNameUnderItsNamespace()
    {
        await using var k = await NotesKernel.StartAsync();
        var registry = k.Harness.Kernel.Registry;

        foreach (var command in new[] { NoteNames.CreateNote, NoteNames.UpdateNote, NoteNames.DeleteNote })
        {
            Assert.Equal(SafetyClass.WriteInternal, registry.Commands[command].SafetyClass);
            Assert.Equal("notes", registry.Commands[command].Owner);
        }

        Assert.All(new[] { NoteNames.NoteCreated, NoteNames.NoteUpdated, NoteNames.NoteDeleted }, e => Assert.Equal(1, registry.Events[e].SchemaVersion));
        var index = registry.Projections[NoteNames.NoteIndex];
        Assert.Equal((1, "notes_store"), (index.Version, index.ResourceKind));
        Assert.Equal(NoteNames.GetNote, registry.Queries["notes/get"].Name);
        Assert.Equal(NoteNames.ListNotes, registry.Queries["notes/list"].Name);
    }

    [Fact]
    public async Task StartAsync_WithoutNotesStoreRoute_ThrowsRouteMissingExceptionNamingNotesStore()
    {
        var ex = await Assert.ThrowsAsync<RouteMissingException>(() => KernelHarness.StartAsync([new NotesPack()]));

        Assert.Equal(["notes_store"], ex.ResourceKinds);
        Assert.Contains("'notes_store'", ex.Message, StringComparison.Ordinal);
    }
}
