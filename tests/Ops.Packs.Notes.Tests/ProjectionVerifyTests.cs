using Microsoft.Data.Sqlite;
using Ops.Core.Projections;
using Ops.Packs.Notes.Contracts;

namespace Ops.Packs.Notes.Tests;

/// <summary>
/// <c>projections verify</c> (issue 7 item 5): projection documents edited behind the kernel's back are
/// found by rebuilding in memory from the log and comparing state hashes, and named down to the document.
/// </summary>
public sealed class ProjectionVerifyTests
{
    private static CancellationToken Ct => CancellationToken.None;

    [Fact]
    public async Task Verify_Untouched_MatchesTheLog()
    {
        await using var k = await StartAsync();

        var result = await k.Kernel.Harness.Kernel.Projections.VerifyAsync(NoteNames.NoteIndex, Ct);

        Assert.Equal(ProjectionVerificationStatus.Match, result.Status);
        Assert.Equal(3, result.StoredDocuments);
        Assert.Equal(result.StoredHash, result.RebuiltHash);
        Assert.Equal(await k.Kernel.Harness.Kernel.Projections.StateHashAsync(NoteNames.NoteIndex, Ct), result.StoredHash);
        Assert.Null(result.FirstDifference);
    }

    public static TheoryData<string, string, string> Tampers => new()
    {
        { "edit", "UPDATE projection_documents SET document = CAST(replace(CAST(document AS TEXT), 'Trip', 'Trap') AS BLOB) WHERE doc_key = $k", "acme/system/{bob}: stored document differs from the rebuilt one" },
        { "delete", "DELETE FROM projection_documents WHERE doc_key = $k", "acme/system/{bob}: missing from the stored documents" },
        { "insert", "INSERT INTO projection_documents (projection, tenant_id, mode, doc_key, document) SELECT projection, tenant_id, mode, '0000', document FROM projection_documents WHERE doc_key = $k", "acme/system/0000: stored, but the log folds into no such document" },
        { "mode", "UPDATE projection_documents SET mode = 'lab' WHERE doc_key = $k", "acme/lab/{bob}: stored, but the log folds into no such document" },
        { "tenant", "UPDATE projection_documents SET tenant_id = 'globex' WHERE doc_key = $k", "acme/system/{bob}: missing from the stored documents" },
    };

    [Theory]
    [MemberData(nameof(Tampers))]
    public async Task Verify_DocumentChangedBehindTheKernel_DiffersAndNamesTheDocument(string tamper, string sql, string expected)
    {
        await using var k = await StartAsync();
        var projections = k.Kernel.Harness.Kernel.Projections;
        var before = await projections.StateHashAsync(NoteNames.NoteIndex, Ct);

        Execute(k.NotesDatabase, sql, k.BobsNote);
        var result = await projections.VerifyAsync(NoteNames.NoteIndex, Ct);

        Assert.True(result.Status == ProjectionVerificationStatus.Differs, tamper);
        Assert.Equal(expected.Replace("{bob}", k.BobsNote, StringComparison.Ordinal), result.FirstDifference);
        Assert.Equal(before, result.RebuiltHash);
        Assert.NotEqual(before, result.StoredHash);
        Assert.Equal(await projections.StateHashAsync(NoteNames.NoteIndex, Ct), result.StoredHash);
    }

    [Theory]
    [InlineData("UPDATE projection_documents SET document = CAST(document AS TEXT) WHERE doc_key = $k", "is stored as text")]
    [InlineData("UPDATE projection_documents SET document = 42 WHERE doc_key = $k", "is stored as a number")]
    [InlineData("UPDATE projection_documents SET document = CAST('{\"title\": ' AS BLOB) WHERE doc_key = $k", "stored document differs from the rebuilt one")]
    public async Task Issue20_Verify_MalformedDocument_IsReported_NotThrown(string sql, string expected)
    {
        await using var k = await StartAsync();
        Execute(k.NotesDatabase, sql, k.BobsNote);

        var result = await k.Kernel.Harness.Kernel.Projections.VerifyAsync(NoteNames.NoteIndex, Ct);

        Assert.Equal(ProjectionVerificationStatus.Differs, result.Status);
        Assert.Contains(expected, result.FirstDifference, StringComparison.Ordinal);
        Assert.Contains(k.BobsNote, result.FirstDifference, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_ProjectionBehindTheLog_ComparesUpToItsCheckpoint()
    {
        await using var k = await StartAsync();

        // Proposing catches the projection up to before this note; its commit leaves it one event behind.
        await k.Kernel.CreateNoteAsync(k.Bob, "Later");
        var result = await k.Kernel.Harness.Kernel.Projections.VerifyAsync(NoteNames.NoteIndex, Ct);

        Assert.Equal(ProjectionVerificationStatus.Match, result.Status);
        Assert.True(result.Position < await k.Kernel.HeadAsync());
        Assert.Equal(3, result.RebuiltDocuments);
    }

    [Theory]
    [InlineData("DELETE FROM projection_checkpoints", nameof(ProjectionVerificationStatus.NotBuilt))]
    [InlineData("UPDATE projection_checkpoints SET version = 99", nameof(ProjectionVerificationStatus.VersionChanged))]
    public async Task Verify_CheckpointMissingOrOfAnotherVersion_IsNotCheckedButRebuiltBeforeTheNextRead(string sql, string expected)
    {
        await using var k = await StartAsync();
        var projections = k.Kernel.Harness.Kernel.Projections;
        var before = await projections.StateHashAsync(NoteNames.NoteIndex, Ct);
        Execute(k.NotesDatabase, "UPDATE projection_documents SET document = CAST(replace(CAST(document AS TEXT), 'Trip', 'Trap') AS BLOB) WHERE doc_key = $k", k.BobsNote);
        Execute(k.NotesDatabase, sql, k.BobsNote);

        var result = await projections.VerifyAsync(NoteNames.NoteIndex, Ct);
        await k.Kernel.CatchUpAsync();

        Assert.Equal(expected, result.Status.ToString());
        Assert.Null(result.RebuiltHash);
        Assert.Equal(before, await projections.StateHashAsync(NoteNames.NoteIndex, Ct));
        Assert.Equal("Trip", (await k.Kernel.GetAsync(k.Bob, k.BobsNote))?.Title);
    }

    private static void Execute(string database, string sql, string key)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$k", key);
        Assert.True(command.ExecuteNonQuery() >= 1, sql);
    }

    private static async Task<Fixture> StartAsync()
    {
        var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var carol = await k.AddUserOfTenantAsync("carol", "globex");
        var bobs = await k.CreateNoteAsync(bob, "Trip", "pack bags");
        await k.CreateNoteAsync(bob, "Other");
        await k.CreateNoteAsync(carol, "Globex");
        await k.CatchUpAsync();
        return new Fixture(k, bob, bobs, Path.Combine(k.Harness.Directory, "notes.db"));
    }

    private sealed record Fixture(NotesKernel Kernel, Ops.Core.Commands.CallerContext Bob, string BobsNote, string NotesDatabase) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Kernel.DisposeAsync();
    }
}
