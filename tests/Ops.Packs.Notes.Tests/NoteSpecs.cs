using Ops.Packs.Notes.Contracts;
using Ops.Testing;

namespace Ops.Packs.Notes.Tests;

/// <summary>
/// The notes pack in a <see cref="PackSpec"/> (Ops.Testing's Given/When/Then, in memory): for what the handlers
/// and the projection decide. What the kernel guarantees around them (consent, replay, the log) stays in the
/// tests that run <see cref="NotesKernel"/>.
/// </summary>
internal static class NoteSpecs
{
    public const string NoteId = "0123456789abcdef0123456789abcdef";

    public static string Target => NoteNames.TargetOf(NoteId);

    /// <summary>A spec of the notes pack acting as <paramref name="user"/> of tenant acme.</summary>
    public static PackSpec Start(string user = "bob") => new PackSpec(new NotesPack(), NoteNames.PackId).As(user);

    /// <summary>The event the pack records when the spec's caller creates note <see cref="NoteId"/> now.</summary>
    public static NoteCreated Created(PackSpec spec, string title, string content = "body", IReadOnlyList<string>? tags = null) =>
        new(NoteId, spec.Scope.TenantId, PackSpec.Mode, spec.Caller.Id, title, content, NoteContentTypes.Markdown, tags ?? [], new NoteSource(NoteSource.User), spec.Time.GetUtcNow(), "test");
}
