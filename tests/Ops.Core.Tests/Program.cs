namespace Ops.Core.Tests;

/// <summary>
/// The test assembly's entry point. Under the test runner it is never called; started as
/// <c>dotnet Ops.Core.Tests.dll pg-worker ...</c> it runs one worker process of the multi-worker PostgreSQL test.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args) =>
        args is [Storage.Postgres.PostgresWorkerProcess.Verb, .. var rest]
            ? await Storage.Postgres.PostgresWorkerProcess.RunAsync(rest)
            : 2;
}
