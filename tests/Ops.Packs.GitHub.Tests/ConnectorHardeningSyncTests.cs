using System.Text.Json;
using Ops.Core.Capabilities;
using Ops.Core.Connectors;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Packs.GitHub.Contracts;
using Ops.Testing;
using Ops.TestSupport;

namespace Ops.Packs.GitHub.Tests;

/// <summary>
/// Issue 10 item 4 end to end: a real kernel (SQLite) syncing a scripted GitHub on 127.0.0.1. Watermark, tombstones,
/// quarantine, reconciliation, the conditional cursor write and the recorded reset. Run on each engine (the subclasses).
/// </summary>
public abstract partial class ConnectorHardeningSyncTests
{
    private static readonly DateTimeOffset T1 = new(2024, 5, 1, 10, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => CancellationToken.None;

    [Fact]
    public async Task SyncAsync_SecondSync_FetchesOnlyWhatChangedSinceTheWatermark()
    {
        await using var repo = new FakeRepository();
        repo.Put(1, T1);
        repo.Put(2, T1.AddHours(1));
        repo.Put(3, T1.AddHours(2));
        await using var h = await StartAsync(repo);

        var first = await SyncAsync(h);
        repo.Put(2, T1.AddHours(3), "Issue 2, edited");
        var second = await SyncAsync(h);

        Assert.Equal((3, 3, "2024-05-01T12:00:00Z"), (first.Observed, first.Appended, first.Watermark));
        Assert.DoesNotContain("since=", repo.ListRequests[0], StringComparison.Ordinal);
        Assert.EndsWith("/repos/octo/repo/issues?per_page=3&state=all&since=2024-05-01T12%3A00%3A00Z", repo.ListRequests[1], StringComparison.Ordinal);
        // since is inclusive: issue 3 (at the watermark) comes again and dedupes; only the edit is new.
        Assert.Equal((2, 1, 0, "2024-05-01T13:00:00Z"), (second.Observed, second.Appended, second.Conflicts, second.Watermark));
        Assert.Empty(repo.IssueRequests);
        Assert.Equal("2024-05-01T13:00:00Z", (await Control(h).ReadAsync(GitHubNames.IssuesConnectorId, "acme", Ct)).Watermark);
    }

    [Fact]
    public async Task SyncAsync_FullSyncAfterAnIssueDisappears_AppendsATombstoneAndTheIndexMarksItGone()
    {
        await using var repo = new FakeRepository();
        repo.Put(1, T1);
        repo.Put(2, T1.AddHours(1));
        repo.Put(3, T1.AddHours(2));
        await using var h = await StartAsync(repo);
        var initial = await SyncAsync(h);
        repo.Issues.TryRemove(2, out _);

        await Control(h).ResetAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, "sweep for deleted issues", Ct);
        var sweep = await SyncAsync(h);

        Assert.Equal(0, initial.Rechecked);
        Assert.Equal((1, 1), (sweep.Rechecked, sweep.Tombstones));
        Assert.Equal(["GET /repos/octo/repo/issues/2"], repo.IssueRequests);
        var tombstone = Assert.Single(await EventsAsync(h, GitHubNames.IssueDeletedEvent));
        Assert.Equal("pack.github:acme/issue-octo/repo#2", tombstone.StreamId);
        Assert.Equal(T1.AddHours(1), tombstone.OccurredAt);
        Assert.Equal(new IssueDeleted("octo/repo", 2, 404, T1.AddHours(1)), tombstone.PayloadAs<IssueDeleted>());

        await h.Kernel.Projections.CatchUpAsync(null, Ct);
        var live = await h.Kernel.Projections.StateHashAsync(GitHubNames.IssueIndexProjection, Ct);
        var reader = await h.Kernel.ReaderForAsync(GitHubNames.PackId, h.AdminCaller, Ct);
        var gone = await reader.GetAsync<IssueDocument>(GitHubNames.IssueIndexProjection, "octo/repo#2", Ct);
        var answer = await h.QueryAsync<IssuesByStateAndLabelResult>(GitHubNames.PackId, GitHubNames.IssuesByStateAndLabelRoute, new { });
        await h.Kernel.Projections.RebuildAsync(GitHubNames.IssueIndexProjection, Ct);

        Assert.NotNull(gone);
        Assert.True(gone.IsGone());
        Assert.Equal("Issue 2", gone.Title);
        Assert.Equal([3, 1], answer!.Issues.Select(i => i.Number).OrderDescending());
        Assert.Equal(live, await h.Kernel.Projections.StateHashAsync(GitHubNames.IssueIndexProjection, Ct));

        // A second sweep does not re-fetch an entity whose newest event is its tombstone.
        await Control(h).ResetAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, "again", Ct);
        var again = await SyncAsync(h);
        Assert.Equal((0, 0, 0), (again.Rechecked, again.Tombstones, again.Appended));
    }

    [Fact]
    public async Task SyncAsync_IssueComesBackAfterItsTombstone_NewerIsRevivedButSameTimeIsAConflict()
    {
        await using var repo = new FakeRepository();
        repo.Put(1, T1);
        repo.Put(2, T1.AddHours(1));
        await using var h = await StartAsync(repo);
        await SyncAsync(h);
        repo.Issues.TryRemove(2, out _);
        await Control(h).ResetAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, "sweep", Ct);
        await SyncAsync(h);

        repo.Put(2, T1.AddHours(1), "Issue 2 restored unchanged");
        await Control(h).ResetAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, "sweep", Ct);
        var sameTime = await SyncAsync(h);
        repo.Put(2, T1.AddHours(5), "Issue 2 restored and edited");
        var newer = await SyncAsync(h);

        Assert.Equal((1, 0), (sameTime.Conflicts, sameTime.Appended));
        var conflict = Assert.Single(await EventsAsync(h, ConnectorEventTypes.ConflictDetected)).PayloadAs<ConnectorConflictDetected>();
        Assert.Equal(ConnectorEventTypes.AfterTombstoneRule, conflict.Rule);
        Assert.Equal(GitHubNames.IssueDeletedEvent, conflict.LocalEventType);
        Assert.Equal((0, 1), (newer.Conflicts, newer.Appended));
        await h.Kernel.Projections.CatchUpAsync(null, Ct);
        var document = await (await h.Kernel.ReaderForAsync(GitHubNames.PackId, h.AdminCaller, Ct)).GetAsync<IssueDocument>(GitHubNames.IssueIndexProjection, "octo/repo#2", Ct);
        Assert.False(document!.IsGone());
        Assert.Equal("Issue 2 restored and edited", document.Title);
    }

    [Fact]
    public async Task SyncAsync_SourceChangesWithoutMovingUpdatedAt_RecordsAConflictAndKeepsLocalState()
    {
        await using var repo = new FakeRepository();
        repo.Put(1, T1, "Original title");
        await using var h = await StartAsync(repo);
        await SyncAsync(h);
        var original = Assert.Single(await EventsAsync(h, GitHubNames.IssueObservedEvent));

        repo.Put(1, T1, "Rewritten title");
        await Control(h).ResetAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, "backfill", Ct);
        var conflicting = await SyncAsync(h);
        await Control(h).ResetAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, "backfill again", Ct);
        var replayed = await SyncAsync(h);

        Assert.Equal((1, 0), (conflicting.Conflicts, conflicting.Appended));
        Assert.Equal((0, 0), (replayed.Conflicts, replayed.Appended));
        Assert.Single(await EventsAsync(h, GitHubNames.IssueObservedEvent));
        var conflict = Assert.Single(await EventsAsync(h, ConnectorEventTypes.ConflictDetected));
        Assert.Equal("core:connector-github.issues@acme", conflict.StreamId);
        var payload = conflict.PayloadAs<ConnectorConflictDetected>();
        Assert.Equal(ConnectorEventTypes.SourceNotNewerRule, payload.Rule);
        Assert.Equal(original.EventId, payload.LocalEventId);
        Assert.Equal("pack.github:acme/issue-octo/repo#1", payload.StreamId);
        Assert.Equal("octo/repo#1", payload.SourceNativeId);
        Assert.Equal((T1, T1), (payload.LocalOccurredAt, payload.IncomingOccurredAt));
        Assert.Equal("Rewritten title", payload.IncomingPayload.Deserialize<IssueObserved>(Ops.Core.Identity.OpsJson.Options)!.Title);
        Assert.NotEqual(original.EventId, payload.IncomingEventId);
    }

    [Fact]
    public async Task SyncAsync_DriftedItemInTheListing_IsQuarantinedAndTheSyncCompletes()
    {
        await using var repo = new FakeRepository(perPage: 2);
        repo.Put(1, T1);
        repo.Put(2, T1.AddHours(1));
        repo.RawItems.Add("""{"number":9,"title":"drifted","state":"open","created_at":"2024-01-01T00:00:00Z","updated_at":1714557600}""");
        await using var h = await StartAsync(repo);

        var result = await SyncAsync(h);

        Assert.True(result.Completed);
        Assert.Equal((2, 3, 3), (result.Pages, result.Observed, result.Appended));
        Assert.Equal(2, (await EventsAsync(h, GitHubNames.IssueObservedEvent)).Count);
        var quarantined = Assert.Single(await EventsAsync(h, GitHubNames.IssueQuarantinedEvent));
        Assert.Equal("pack.github:acme/quarantine-octo/repo#9", quarantined.StreamId);
        var payload = quarantined.PayloadAs<IssueQuarantined>();
        Assert.Equal(("updated_at", "wrong_type", 9), (payload.Field, payload.Problem, payload.Number));
        Assert.Equal(DateTimeOffset.UnixEpoch, quarantined.OccurredAt);
    }

    [Fact]
    public async Task ResetAsync_RecordsWhoWhyAndTheOldCursorThenTheNextSyncIsAFullBackfill()
    {
        await using var repo = new FakeRepository(perPage: 1);
        repo.Put(1, T1);
        repo.Put(2, T1.AddHours(1));
        await using var h = await StartAsync(repo);
        repo.FailPageOnce = 2;
        await Assert.ThrowsAsync<ConnectorException>(() => SyncAsync(h));
        var stored = await Control(h).ReadAsync(GitHubNames.IssuesConnectorId, "acme", Ct);

        var reset = await Control(h).ResetAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, "  base URL moved  ", Ct);
        var after = await Control(h).ReadAsync(GitHubNames.IssuesConnectorId, "acme", Ct);
        var result = await SyncAsync(h);

        Assert.NotNull(stored.Cursor);
        Assert.Equal((stored.Cursor, stored.Watermark, 1), (reset.OldCursor, reset.OldWatermark, reset.OldPages));
        var recorded = Assert.Single(await EventsAsync(h, ConnectorEventTypes.CursorReset));
        Assert.Equal(reset.EventId, recorded.EventId);
        Assert.Equal("admin", recorded.Actor.Id);
        Assert.Equal(
            new ConnectorCursorReset(GitHubNames.IssuesConnectorId, "admin", recorded.CapabilityId, "base URL moved", stored.Cursor, "2024-05-01T11:00:00Z", 1, h.Time.GetUtcNow()),
            recorded.PayloadAs<ConnectorCursorReset>());
        Assert.Equal((null, null, 0), (after.Cursor, after.Watermark, after.Pages));
        Assert.DoesNotContain("since=", repo.ListRequests[^2], StringComparison.Ordinal);
        Assert.Equal((2, 1), (result.Pages, result.Appended));
    }

    [Fact]
    public async Task ResetAsync_WithoutTheResetCapability_IsRefusedAndChangesNothing()
    {
        await using var repo = new FakeRepository();
        repo.Put(1, T1);
        await using var h = await StartAsync(repo);
        await SyncAsync(h);
        var (syncer, _) = await h.AddActorAsync("syncer", new CapabilityScope([ConnectorRunner.SyncActionType], ["connector:github.issues"], [SafetyClass.WriteInternal]));
        var head = await h.MutationHeadAsync();

        var denied = await Assert.ThrowsAsync<OpsException>(() => Control(h).ResetAsync(GitHubNames.IssuesConnectorId, syncer, "I want a backfill", Ct));
        var unknown = await Assert.ThrowsAsync<OpsException>(() => Control(h).ResetAsync("github.nothing", h.AdminCaller, "x", Ct));
        var noReason = await Assert.ThrowsAsync<OpsException>(() => Control(h).ResetAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, "   ", Ct));

        Assert.Equal(ReasonCodes.CapabilityDenied, denied.Code);
        Assert.Equal(ReasonCodes.NotFound, unknown.Code);
        Assert.Equal(ReasonCodes.BadRequest, noReason.Code);
        Assert.All([denied, unknown, noReason], e => Assert.Contains("Nothing was changed", e.Message, StringComparison.Ordinal));
        Assert.Equal(head, await h.MutationHeadAsync());
        Assert.Equal("2024-05-01T10:00:00Z", (await Control(h).ReadAsync(GitHubNames.IssuesConnectorId, "acme", Ct)).Watermark);
        await h.Kernel.Safety.FlushAsync(all: true, Ct);
        var recorded = Assert.Single(await h.SafetyRecordsAfterAsync(head));
        Assert.Equal(("syncer", ReasonCodes.CapabilityDenied), (recorded.ActorId, recorded.ReasonCode));
    }

    [Fact]
    public async Task SyncAsync_WithoutTheSyncCapability_IsRefused_Recorded_AndStoresNothing()
    {
        await using var repo = new FakeRepository();
        repo.Put(1, T1);
        await using var h = await StartAsync(repo);
        var (reader, _) = await h.AddActorAsync("reader", new CapabilityScope(["pack.github.*"], ["*"], [SafetyClass.Read]));
        var head = await h.MutationHeadAsync();

        var denied = await Assert.ThrowsAsync<ConnectorDeniedException>(() => h.Kernel.Connectors.SyncAsync(GitHubNames.IssuesConnectorId, reader, null, Ct));
        await h.Kernel.Safety.FlushAsync(all: true, Ct);

        Assert.Equal(GitHubNames.IssuesConnectorId, denied.ConnectorId);
        Assert.Equal(head, await h.MutationHeadAsync());
        Assert.Empty(repo.ListRequests);
        var recorded = Assert.Single(await h.SafetyRecordsAfterAsync(head));
        Assert.Equal(("reader", ReasonCodes.CapabilityDenied), (recorded.ActorId, recorded.ReasonCode));
    }

    [Fact]
    public async Task SyncAsync_ResetBetweenTwoPages_StopsTheSyncWithoutStoringThePageOverTheReset()
    {
        await using var repo = new FakeRepository(perPage: 1);
        repo.Put(1, T1);
        repo.Put(2, T1.AddHours(1));
        await using var h = await StartAsync(repo);
        repo.BeforePage = page =>
        {
            if (page == 2)
            {
                Control(h).ResetAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, "operator reset mid-sync", Ct).GetAwaiter().GetResult();
            }
        };

        var error = await Assert.ThrowsAsync<ConnectorException>(() => SyncAsync(h));

        Assert.Contains("the cursor changed while this sync ran", error.Message, StringComparison.Ordinal);
        Assert.Single(await EventsAsync(h, GitHubNames.IssueObservedEvent));
        var state = await Control(h).ReadAsync(GitHubNames.IssuesConnectorId, "acme", Ct);
        Assert.Equal((null, null, 0), (state.Cursor, state.Watermark, state.Pages));
    }

    [Fact]
    public async Task TwoTenants_EachRunItsOwnInstance_AnotherTenantsSyncSweepAndResetNeverTouchOurs()
    {
        await using var repo = new FakeRepository();
        repo.Put(1, T1);
        repo.Put(2, T1.AddHours(1));
        await using var h = await StartAsync(repo);
        var (gus, _) = await h.AddActorAsync("gus", new CapabilityScope([ConnectorRunner.SyncActionType, ConnectorEventTypes.ResetAction], ["connector:github.issues"], [SafetyClass.WriteInternal]), tenantId: "globex");
        await SyncAsync(h);
        var ours = await Control(h).ReadAsync(GitHubNames.IssuesConnectorId, "acme", Ct);

        // Globex syncs the same source: its own events, on its own streams, from its own first page.
        var theirs = await h.Kernel.Connectors.SyncAsync(GitHubNames.IssuesConnectorId, gus, null, Ct);
        Assert.Equal((2, 2), (theirs.Observed, theirs.Appended));
        var observed = await EventsAsync(h, GitHubNames.IssueObservedEvent);
        Assert.Equal(["acme/issue-octo/repo#1", "acme/issue-octo/repo#2", "globex/issue-octo/repo#1", "globex/issue-octo/repo#2"], observed.Select(e => e.StreamId["pack.github:".Length..]).Order(StringComparer.Ordinal));
        Assert.All(observed, e => Assert.Equal(e.StreamId["pack.github:".Length..].Split('/')[0], e.Scope.TenantId));

        // Globex resets and sweeps after issue 2 disappeared: a tombstone in globex only, and our cursor did not move.
        repo.Issues.TryRemove(2, out _);
        await Control(h).ResetAsync(GitHubNames.IssuesConnectorId, gus, "sweep", Ct);
        var sweep = await h.Kernel.Connectors.SyncAsync(GitHubNames.IssuesConnectorId, gus, null, Ct);
        Assert.Equal(1, sweep.Tombstones);
        var tombstone = Assert.Single(await EventsAsync(h, GitHubNames.IssueDeletedEvent));
        Assert.Equal(("pack.github:globex/issue-octo/repo#2", "globex"), (tombstone.StreamId, tombstone.Scope.TenantId));
        Assert.Equal(ours, await Control(h).ReadAsync(GitHubNames.IssuesConnectorId, "acme", Ct));
        Assert.NotEqual(ours, await Control(h).ReadAsync(GitHubNames.IssuesConnectorId, gus, Ct));

        // Our index still holds issue 2 open; globex's marks it gone.
        var answer = await h.QueryAsync<IssuesByStateAndLabelResult>(GitHubNames.PackId, GitHubNames.IssuesByStateAndLabelRoute, new { });
        Assert.Contains(answer!.Issues, i => i.Number == 2);
    }

    /// <summary>Routes of the engine under test, added to the repository's settings.</summary>
    protected abstract Task<IDictionary<string, string?>> RoutesAsync();

    private async Task<KernelHarness> StartAsync(FakeRepository repo)
    {
        var settings = repo.Settings();
        foreach (var (key, value) in await RoutesAsync())
        {
            settings[key] = value;
        }

        return await KernelHarness.StartAsync([new GitHubPack()], settings);
    }

    internal static ConnectorControl Control(KernelHarness h) => new(h.Kernel);

    internal static Task<SyncResult> SyncAsync(KernelHarness h) => h.Kernel.Connectors.SyncAsync(GitHubNames.IssuesConnectorId, h.AdminCaller, null, Ct);

    internal static async Task<List<EventEnvelope>> EventsAsync(KernelHarness h, string type) =>
        [.. (await h.Kernel.EventLog.ReadAsync(0, 10_000, Ct)).Where(e => e.Envelope.EventType == type).Select(e => e.Envelope)];
}

/// <summary>The scenarios on SQLite (the harness's default route).</summary>
public sealed class ConnectorHardeningSqliteTests : ConnectorHardeningSyncTests
{
    protected override Task<IDictionary<string, string?>> RoutesAsync() => Task.FromResult<IDictionary<string, string?>>(new Dictionary<string, string?>());
}

/// <summary>
/// The same scenarios on PostgreSQL: a fresh database per test on the run's server (<see cref="PostgresServer"/>: a
/// throwaway cluster, or the one <c>OPS_TEST_POSTGRES</c> names; skipped, saying so, when neither can be had).
/// </summary>
[RequiresPostgres]
public sealed class ConnectorHardeningPostgresTests : ConnectorHardeningSyncTests
{
    protected override async Task<IDictionary<string, string?>> RoutesAsync()
    {
        var admin = PostgresServer.AdminConnectionString;
        var name = "ops_github_" + Guid.NewGuid().ToString("N");
        await using (var connection = new Npgsql.NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE {name}";
            await command.ExecuteNonQueryAsync();
        }

        var database = new Npgsql.NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
        return new Dictionary<string, string?>
        {
            ["Ops:Routes:event_log:Provider"] = "postgres",
            ["Ops:Routes:event_log:ConnectionString"] = database,
            ["Ops:Routes:projections:Provider"] = "postgres",
            ["Ops:Routes:projections:ConnectionString"] = database,
        };
    }
}
