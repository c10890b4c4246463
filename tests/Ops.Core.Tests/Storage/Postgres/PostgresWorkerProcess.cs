using System.Globalization;
using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Storage;
using Ops.Core.Storage.Postgres;

namespace Ops.Core.Tests.Storage.Postgres;

/// <summary>
/// One worker of <see cref="PostgresMultiWorkerTests"/>, run as its own OS process (<c>dotnet Ops.Core.Tests.dll
/// pg-worker ...</c>): commands in group-commit batches, each in its own savepoint, each recording one outcome and
/// appending two events, idempotent by command id. Some commands are sent by every worker (a client retrying
/// against another machine); each must be decided once.
/// </summary>
internal static class PostgresWorkerProcess
{
    public const string Verb = "pg-worker";

    /// <summary>Runs a worker; prints one JSON line of counts.</summary>
    /// <param name="args">connection string, worker index, own commands, shared commands, batch size.</param>
    public static async Task<int> RunAsync(string[] args)
    {
        var (connectionString, worker, own, shared, batchSize) = (args[0], Parse(args[1]), Parse(args[2]), Parse(args[3]), Parse(args[4]));
        var commands = Enumerable.Range(0, own).Select(i => $"w{worker}-c{i}")
            .Concat(Enumerable.Range(0, shared).Select(i => $"shared-c{i}"))
            // Each worker sends its commands in its own order, so shared ones meet at different moments.
            .OrderBy(c => (c.GetHashCode(StringComparison.Ordinal) ^ worker) & 0x7FFFFFFF)
            .ToList();
        using var engine = PostgresEngine.Create(connectionString);
        await using var writer = engine.OpenWriter();
        int decided = 0, replayed = 0, batches = 0;
        foreach (var chunk in commands.Chunk(batchSize))
        {
            await using var batch = await writer.BeginAsync(default);
            var appender = new SeamAppender(batch, TimeProvider.System.GetUtcNow());
            for (var i = 0; i < chunk.Length; i++)
            {
                var savepoint = "w" + i.ToString(CultureInfo.InvariantCulture);
                await batch.SaveAsync(savepoint, default);
                if (await batch.FindOutcomeAsync(chunk[i], default) is not null)
                {
                    replayed++;
                }
                else
                {
                    await appender.AppendAsync("unit-" + chunk[i], 0, [Draft(chunk[i], 1), Draft(chunk[i], 2)]);
                    await appender.RecordOutcomeAsync(chunk[i], "content-" + chunk[i]);
                    decided++;
                }

                await batch.ReleaseAsync(savepoint, default);
            }

            await batch.CommitAsync(default);
            batches++;
        }

        Console.WriteLine(JsonSerializer.Serialize(new Counts(worker, decided, replayed, batches)));
        return 0;
    }

    /// <summary>The n-th event of a command: its id depends on the command and n only, so every worker derives the same one.</summary>
    public static EventEnvelope Draft(string command, int n) =>
        TestEvents.Draft($"{command}/{n}", new { command, n }, new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero), "worker:test");

    private static int Parse(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    internal sealed record Counts(int Worker, int Decided, int Replayed, int Batches);
}
