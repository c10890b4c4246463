using Ops.Core.Log.Integrity;
using Ops.Core.Storage;
using Ops.Testing;

namespace Ops.Core.Tests.Egress;

/// <summary>
/// Found by the PostgreSQL egress crash test (issue 10 item 5): a worker restarting beside a live one refused to start with
/// "projection ahead of log", because its start check read the log's head first and the projection checkpoints after,
/// and in between the other worker appended an event and folded it. The head only grows, so reading the checkpoints
/// first makes an honest concurrent append invisible to the check while a truncated log is still caught.
/// </summary>
public sealed class RestartStartCheckTests
{
    [Fact]
    public async Task StartCheck_AnotherWorkerAppendsAndFoldsDuringTheCheck_IsNotProjectionAhead()
    {
        await using var h = await KernelHarness.StartAsync();
        await AppendAsync(h, "before");
        var head = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);
        // The other worker: when the checkpoints are read, it has appended one event and folded it.
        var racing = new RacingProjections(async () =>
        {
            await AppendAsync(h, "racing");
            return [("other.Projection", new ProjectionCheckpoint(1, head + 1, 0))];
        });

        var report = await LogIntegrity.CheckStartAsync(h.Kernel.EventLog.Store, [], null, [racing], CancellationToken.None);

        Assert.True(report.IsIntact, string.Join("; ", report.Findings.Select(f => f.Message)));
    }

    [Fact]
    public async Task StartCheck_AProjectionPastTheHeadWithNoAppend_IsStillProjectionAhead()
    {
        await using var h = await KernelHarness.StartAsync();
        await AppendAsync(h, "before");
        var head = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);
        var ahead = new RacingProjections(() => Task.FromResult<IReadOnlyList<(string, ProjectionCheckpoint)>>([("other.Projection", new ProjectionCheckpoint(1, head + 1, 0))]));

        var report = await LogIntegrity.CheckStartAsync(h.Kernel.EventLog.Store, [], null, [ahead], CancellationToken.None);

        Assert.Equal(IntegrityProblem.ProjectionAhead, Assert.Single(report.Findings, f => f.Problem == IntegrityProblem.ProjectionAhead).Problem);
    }

    private static async Task AppendAsync(KernelHarness h, string id)
    {
        var draft = TestEvents.Draft(id, new { id }, h.Time.GetUtcNow());
        await h.Kernel.Writer.ExecuteAsync((s, ct) => s.AppendAsync("race-" + id, null, [draft], ct), CancellationToken.None);
    }

    /// <summary>Projection checkpoints as another worker leaves them; only the start check's read is implemented.</summary>
    private sealed class RacingProjections(Func<Task<IReadOnlyList<(string, ProjectionCheckpoint)>>> read) : IProjectionStore
    {
        public async ValueTask<IReadOnlyList<(string Projection, ProjectionCheckpoint Checkpoint)>> ReadCheckpointsAsync(CancellationToken cancellationToken) => await read();

        public ValueTask<ProjectionCheckpoint?> ReadCheckpointAsync(string projection, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<IProjectionWrite> BeginWriteAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<IProjectionRead> BeginReadAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
