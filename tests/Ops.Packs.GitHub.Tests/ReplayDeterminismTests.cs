using CsCheck;
using Ops.Core.Connectors;
using Ops.Packs.GitHub.Contracts;
using Ops.Testing;

namespace Ops.Packs.GitHub.Tests;

/// <summary>
/// Constitution A8 "replay determinism (same cursor → same events/ids)", generated: repositories of 1 to 10 issues
/// (updated_at ties included), page sizes 1 to 4, a failure injected at any page or none.
/// </summary>
public sealed class ReplayDeterminismTests
{
    private static readonly DateTimeOffset Start = new(2024, 5, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Gen<(int[] Minutes, int PerPage, int FailAt)> Cases =
        Gen.Select(Gen.Int[0, 30].Array[1, 10], Gen.Int[1, 4], Gen.Int[0, 10], (minutes, perPage, fail) => (minutes, perPage, fail % (((minutes.Length + perPage - 1) / perPage) + 1)));

    [Fact]
    public async Task SyncAsync_InterruptedAndResumedFromTheStoredCursorOrReplayedAfterReset_GivesTheSameEventIds()
    {
        await Cases.SampleAsync(
            async sample =>
            {
                var (minutes, perPage, failAt) = sample;
                await using var repo = new FakeRepository(perPage);
                for (var i = 0; i < minutes.Length; i++)
                {
                    repo.Put(i + 1, Start.AddMinutes(minutes[i]));
                }

                await using var a = await KernelHarness.StartAsync([new GitHubPack()], repo.Settings());
                await using var b = await KernelHarness.StartAsync([new GitHubPack()], repo.Settings());
                b.Time.Advance(TimeSpan.FromHours(5));

                var straight = await ConnectorHardeningSyncTests.SyncAsync(a);
                var idsA = await IdsAsync(a);

                var resumedAppended = 0;
                if (failAt > 0)
                {
                    repo.FailPageOnce = failAt;
                    await Assert.ThrowsAsync<ConnectorException>(() => ConnectorHardeningSyncTests.SyncAsync(b));
                    var stored = await ConnectorHardeningSyncTests.Control(b).ReadAsync(GitHubNames.IssuesConnectorId, "acme", Ct);
                    Assert.Equal(failAt - 1, stored.Pages);
                    resumedAppended = (await IdsAsync(b)).Count;
                }

                var resumed = await ConnectorHardeningSyncTests.SyncAsync(b);
                var idsB = await IdsAsync(b);

                await ConnectorHardeningSyncTests.Control(a).ResetAsync(GitHubNames.IssuesConnectorId, a.AdminCaller, "replay", Ct);
                var replay = await ConnectorHardeningSyncTests.SyncAsync(a);

                Assert.Equal(minutes.Length, straight.Appended);
                Assert.Equal(minutes.Length, idsA.Distinct().Count());
                Assert.Equal(idsA.Order(StringComparer.Ordinal), idsB.Order(StringComparer.Ordinal));
                Assert.Equal(minutes.Length - resumedAppended, resumed.Appended);
                Assert.Equal((minutes.Length, 0, 0, 0), (replay.Observed, replay.Appended, replay.Conflicts, replay.Tombstones));
                Assert.Equal(idsA, await IdsAsync(a));
            },
            iter: 12,
            threads: 1);
    }

    private static CancellationToken Ct => CancellationToken.None;

    private static async Task<List<string>> IdsAsync(KernelHarness h) =>
        [.. (await ConnectorHardeningSyncTests.EventsAsync(h, GitHubNames.IssueObservedEvent)).Select(e => e.EventId)];
}
