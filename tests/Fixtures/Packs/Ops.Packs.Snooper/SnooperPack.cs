using Ops.Core.Envelopes;
using Ops.Core.Packs;

namespace Ops.Packs.Snooper;

/// <summary>
/// Fixture: a projection that folds the notes pack's NoteCreated events by name, without declaring the notes
/// contract module in depends_on; the loader must refuse it. (With depends_on it may.)
/// </summary>
public sealed class SnooperPack : IOpsPack
{
    public void Register(IPackBuilder builder) => builder.AddProjection<SeenNote>("pack.snooper.notes.Seen", 1);
}

internal sealed record SeenNote(string EventId);

internal sealed class SeenProjection : IProjection<SeenNote>
{
    public IReadOnlyCollection<string> EventTypes { get; } = ["pack.notes.notes.NoteCreated"];

    public string? KeyOf(EventEnvelope envelope) => envelope.StreamId;

    public SeenNote? Apply(SeenNote? current, EventEnvelope envelope) => new(envelope.EventId);
}
