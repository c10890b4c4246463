using Ops.Core.Envelopes;
using Ops.Core.Log.Integrity;
using Ops.Testing;
using Ops.TestSupport;

namespace Ops.Core.Tests.Storage.Postgres;

/// <summary>
/// The whole kernel routed to PostgreSQL by configuration alone (<c>Ops:Routes:*:Provider=postgres</c>): bootstrap,
/// commands through the gateway with consent, a replayed command, a refused one, and <c>log verify</c>.
/// </summary>
[RequiresPostgres]
public sealed class PostgresKernelTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Kernel_RoutedToPostgres_DecidesCommands_AndTheLogVerifies()
    {
        var connectionString = PostgresServer.ConnectionString(await fixture.CreateDatabaseAsync(migrated: false));
        await using var h = await KernelHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Ops:Routes:event_log:Provider"] = "postgres",
            ["Ops:Routes:event_log:ConnectionString"] = connectionString,
            ["Ops:Routes:projections:Provider"] = "postgres",
            ["Ops:Routes:projections:ConnectionString"] = connectionString,
        });

        var bob = await h.SendAsync("core.RegisterActor", null, new Capabilities.RegisterActor("bob", ActorKind.Human, "Bob"), idempotencyKey: "bob");
        var again = await h.SendAsync("core.RegisterActor", null, new Capabilities.RegisterActor("bob", ActorKind.Human, "Bob"), idempotencyKey: "bob");
        var carol = await h.SendAsync("core.RegisterActor", null, new Capabilities.RegisterActor("carol", ActorKind.Human, "Carol"));
        var report = await LogIntegrity.VerifyAsync(h.Kernel.EventLog.Store, [], null, null, default);

        Assert.Equal("postgres", h.Kernel.EventLog.Engine.Provider);
        Assert.True(bob.IsAccepted, bob.ReasonCode + ": " + bob.Reason);
        Assert.Equal(bob.Position, again.Position);
        Assert.True(carol.IsAccepted, carol.Reason);
        Assert.True(report.IsIntact, string.Join("; ", report.Findings.Select(f => f.Message)));
        Assert.Equal(await h.Kernel.EventLog.HeadPositionAsync(default), report.Chain!.RowsChecked);
        Assert.True(report.Outcomes!.IsValid);
        Assert.True(report.Outcomes.RowsChecked >= 2, $"{report.Outcomes.RowsChecked} outcomes");
    }
}
