using System.Diagnostics;
using System.Text.Json;
using Ops.Core.Log;
using Ops.Core.Log.Integrity;
using Ops.TestSupport;
using Xunit.Abstractions;

namespace Ops.Core.Tests.Storage.Postgres;

/// <summary>
/// Issue 8 item 5: four worker processes, each running the kernel's group-commit writer, append concurrent batches
/// to one PostgreSQL database. Afterwards <c>log verify</c> (<see cref="LogIntegrity"/>) passes from position 1 and
/// seq 1, positions and outcome seqs are gapless, and every command was decided exactly once: none lost, none
/// doubled, even those every worker sent.
/// </summary>
[RequiresPostgres]
public sealed class PostgresMultiWorkerTests(PostgresFixture fixture, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    private const int Workers = 4;
    private const int OwnCommands = 1_500;
    private const int SharedCommands = 300;
    private const int InFlight = 32;

    [Fact]
    public async Task FourWorkerProcesses_AppendingConcurrently_KeepOneValidChain_AndDecideEveryCommandOnce()
    {
        var engine = await fixture.CreateEngineAsync();
        var clock = Stopwatch.StartNew();

        var runs = Enumerable.Range(0, Workers).Select(w => RunWorkerAsync(engine.DataSource.ConnectionString!, w)).ToList();
        var counts = await Task.WhenAll(runs);
        var elapsed = clock.Elapsed;

        var commands = (Workers * OwnCommands) + SharedCommands;
        var report = await LogIntegrity.VerifyAsync(engine.Events, [], null, null, default);
        Assert.True(report.IsIntact, string.Join("; ", report.Findings.Select(f => f.Message)));
        var chain = report.Chain!;
        Assert.True(chain.IsValid, chain.Problem);
        Assert.True(report.Outcomes!.IsValid, report.Outcomes.Problem);
        Assert.Equal(commands, report.Outcomes.RowsChecked);
        Assert.Equal(2L * commands, chain.RowsChecked);
        Assert.Equal(2L * commands, chain.HeadPosition);

        var outcomes = await engine.Events.ReadOutcomeRowsAsync(default).ToListAsync();
        var previous = LogChain.Genesis;
        for (var i = 0; i < outcomes.Count; i++)
        {
            Assert.Equal(i + 1, outcomes[i].Row.Seq);
            Assert.Equal(previous, outcomes[i].PrevHash);
            previous = OutcomeChain.RowHash(previous, outcomes[i].Row);
            Assert.Equal(previous, outcomes[i].RowHash);
        }

        Assert.Equal(commands, outcomes.Count);
        Assert.Equal(commands, outcomes.Select(o => o.Row.CommandId).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(commands, counts.Sum(c => c.Decided));
        Assert.Equal((Workers - 1) * SharedCommands, counts.Sum(c => c.Replayed));
        var rows = await engine.Events.ReadRowsAsync(1, long.MaxValue, default).ToListAsync();
        Assert.All(rows.GroupBy(r => r.Row.StreamId), stream => Assert.Equal([1L, 2], stream.Select(r => r.Row.StreamVersion)));
        Assert.Equal(commands, rows.Select(r => r.Row.StreamId).Distinct(StringComparer.Ordinal).Count());
        // The workers really interleaved: commands of one worker committed between commands of another.
        var byWorker = rows.Select(r => r.Row.StreamId).Where(s => s.StartsWith("unit-w", StringComparison.Ordinal)).Select(s => s[6]).Chunk(2).Select(c => c[0]).ToList();
        var switches = byWorker.Zip(byWorker.Skip(1)).Count(p => p.First != p.Second);
        Assert.True(switches >= Workers, $"the workers did not interleave ({switches} switches)");
        output.WriteLine($"{Workers} worker processes, {commands} commands ({SharedCommands} sent by every worker), {chain.RowsChecked} events, {counts.Sum(c => c.Batches)} batches, {switches} switches between workers, {elapsed.TotalSeconds:F1} s");
    }

    private static async Task<PostgresWorkerProcess.Counts> RunWorkerAsync(string connectionString, int worker)
    {
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { typeof(PostgresWorkerProcess).Assembly.Location, PostgresWorkerProcess.Verb, connectionString, $"{worker}", $"{OwnCommands}", $"{SharedCommands}", $"{InFlight}" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"worker {worker} exited {process.ExitCode}: {await stderr}");
        return JsonSerializer.Deserialize<PostgresWorkerProcess.Counts>((await stdout).Trim())!;
    }
}
