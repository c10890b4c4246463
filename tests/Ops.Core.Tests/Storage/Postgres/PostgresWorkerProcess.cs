using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Envelopes;
using Ops.Core.Log;
using Ops.Storage.PostgreSQL;

namespace Ops.Core.Tests.Storage.Postgres;

/// <summary>
/// One worker of <see cref="PostgresMultiWorkerTests"/>, run as its own OS process (<c>dotnet Ops.Core.Tests.dll
/// pg-worker ...</c>): the kernel's own <see cref="LogWriter"/> (group commit, one savepoint per unit) on a
/// <see cref="PostgresEngine"/>, fed commands concurrently; each command records one outcome and appends two
/// events, idempotent by command id. Some commands are sent by every worker (a client retrying against another
/// machine); each must be decided once.
/// </summary>
internal static class PostgresWorkerProcess
{
    public const string Verb = "pg-worker";

    /// <summary>Runs a worker; prints one JSON line of counts.</summary>
    /// <param name="args">connection string, worker index, own commands, shared commands, commands in flight.</param>
    public static async Task<int> RunAsync(string[] args)
    {
        var (connectionString, worker, own, shared, inFlight) = (args[0], Parse(args[1]), Parse(args[2]), Parse(args[3]), Parse(args[4]));
        var commands = Enumerable.Range(0, own).Select(i => $"w{worker}-c{i}")
            .Concat(Enumerable.Range(0, shared).Select(i => $"shared-c{i}"))
            // Each worker sends its commands in its own order, so shared ones meet at different moments.
            .OrderBy(c => (c.GetHashCode(StringComparison.Ordinal) ^ worker) & 0x7FFFFFFF)
            .ToList();
        using var engine = PostgresEngine.Create(connectionString);
        // Every worker migrates at start, as the host does: nothing is pending, and concurrent starts must not trip.
        engine.Migrate();
        int decided = 0, replayed = 0;
        var writer = new LogWriter(engine, TimeProvider.System, NullLogger.Instance);
        await using (writer)
        {
            await Parallel.ForEachAsync(commands, new ParallelOptions { MaxDegreeOfParallelism = inFlight }, async (command, ct) =>
            {
                var isNew = await writer.ExecuteAsync(
                    async (session, token) =>
                    {
                        if (await OutcomeStore.FindAsync(session, command, token) is not null)
                        {
                            return false;
                        }

                        await session.AppendAsync("unit-" + command, 0, [Draft(command, 1), Draft(command, 2)], token);
                        await OutcomeStore.RecordAsync(session, SeamAppender.Outcome(command, session.Time.GetUtcNow()), "content-" + command, token);
                        return true;
                    },
                    ct);
                Interlocked.Increment(ref isNew ? ref decided : ref replayed);
            });
        }

        Console.WriteLine(JsonSerializer.Serialize(new Counts(worker, decided, replayed, (int)writer.BatchesCommitted)));
        return 0;
    }

    /// <summary>The n-th event of a command: its id depends on the command and n only, so every worker derives the same one.</summary>
    public static EventEnvelope Draft(string command, int n) =>
        TestEvents.Draft($"{command}/{n}", new { command, n }, new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero), "worker:test");

    private static int Parse(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    internal sealed record Counts(int Worker, int Decided, int Replayed, int Batches);
}
