using Ops.Core.Envelopes;
using Ops.Core.Packs;
using Ops.Packs.Notes.Contracts;
using Ops.Testing;

namespace Ops.Packs.Notes.Tests;

public sealed record TitleDigest(string NoteId, string Title);

public sealed record AllTitles;

/// <summary>
/// Pack id "digest", a third party's pack that folds the notes pack's exported events (issue 16 item 8, the example of
/// docs/pack-authoring.md "Depending on another pack's contracts"): it declares nothing but its registrations; the test
/// kit reads what it exports and depends on as the worker reads pack.json.
/// </summary>
public sealed class DigestPack : IOpsPack
{
    public const string Titles = "pack.digest.notes.Titles";

    public void Register(IPackBuilder builder) => builder
        .AddProjection<TitleDigest>(Titles, 1)
        .AddQuery<AllTitles, IReadOnlyList<TitleDigest>>("pack.digest.notes.AllTitles", "titles");
}

internal sealed class TitlesProjection : IProjection<TitleDigest>
{
    public IReadOnlyCollection<string> EventTypes { get; } = [NoteNames.NoteCreated];

    public string? KeyOf(EventEnvelope envelope) => envelope.PayloadAs<NoteCreated>().NoteId;

    public TitleDigest? Apply(TitleDigest? current, EventEnvelope envelope)
    {
        var created = envelope.PayloadAs<NoteCreated>();
        return new TitleDigest(created.NoteId, created.Title);
    }
}

internal sealed class AllTitlesHandler : IQueryHandler<AllTitles, IReadOnlyList<TitleDigest>>
{
    public async ValueTask<IReadOnlyList<TitleDigest>> ExecuteAsync(QueryContext<AllTitles> context, CancellationToken cancellationToken) =>
        await context.Projections.ListAsync<TitleDigest>(DigestPack.Titles, cancellationToken);
}

public sealed class DependentPackTests
{
    [Fact]
    public async Task KernelHarness_LoadsAPackWhoseProjectionFoldsAnotherPacksContract_InEitherOrder()
    {
        // The dependent first: the harness orders packs by what they export and depend on, as the worker's loader does.
        await using var h = await KernelHarness.StartAsync([("digest", new DigestPack()), ("notes", new NotesPack())], NotesKernel.NotesStoreRoute);

        Assert.True((await h.SendAsync(NoteNames.CreateNote, NoteNames.NewNoteTarget, new CreateNote("Quarterly plan", "body"))).IsAccepted);

        var titles = await h.QueryAsync<IReadOnlyList<TitleDigest>>("digest", "titles", new AllTitles());
        Assert.Equal("Quarterly plan", Assert.Single(titles!).Title);
    }

    [Fact]
    public async Task PackSpec_FoldsAnotherPacksExportedEvents_GivenOnItsStreams()
    {
        var spec = new PackSpec(new DigestPack(), "digest", dependencies: [("notes", new NotesPack())]);
        var created = new NoteCreated("n1", PackSpec.DefaultTenant, PackSpec.Mode, "alice", "Roadmap", "body", NoteContentTypes.Markdown, [], new NoteSource("alice"), spec.Time.GetUtcNow());

        spec.Given("note-n1", created);

        Assert.Equal("Roadmap", (await spec.DocumentAsync<TitleDigest>(DigestPack.Titles, "n1"))?.Title);
        Assert.Equal("pack.notes:note-n1", Assert.Single(spec.Events).StreamId);
    }

    [Fact]
    public void PackSpec_RefusesAProjectionOverAnotherPacksEvents_WithoutThatPack_AsTheWorkerWould()
    {
        var refused = Assert.Throws<PackLoadException>(() => new PackSpec(new DigestPack(), "digest"));

        Assert.Contains(NoteNames.NoteCreated, refused.Message, StringComparison.Ordinal);
    }
}
