using System.Diagnostics;
using JasperFx;
using JasperFx.Events;
using Marten;

namespace Ops.Load;

/// <summary>
/// Marten 9.58, the most-used .NET event store on PostgreSQL, doing the postgres scenario's work: one new stream
/// with one NoteCreated event per SaveChanges (1 and 8 callers), and 100 new streams per SaveChanges. Its default
/// connection settings (pooled connections, nothing prepared), and once with Npgsql's Max Auto Prepare, which is
/// the DISCARD ALL question of DESIGN.md §6. A peer to measure against, not a dependency of the kernel.
/// </summary>
internal static class MartenPeer
{
    public static DocumentStore Open(string connectionString) =>
        DocumentStore.For(options =>
        {
            options.Connection(connectionString);
            options.DatabaseSchemaName = "marten";
            options.Events.StreamIdentity = StreamIdentity.AsString;
            options.AutoCreateSchemaObjects = AutoCreate.All;
            options.UseSystemTextJsonForSerialization();
        });

    /// <summary>Events per second: <paramref name="callers"/> callers, each SaveChanges holding <paramref name="perSave"/> new streams of one event.</summary>
    public static async Task<double> AppendAsync(string connectionString, NoteDrafts drafts, int count, int callers, int perSave)
    {
        using var store = Open(connectionString);
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        long next = 0;
        async Task RunAsync(int saves)
        {
            for (var s = 0; s < saves; s++)
            {
                await using var session = store.LightweightSession();
                var now = DateTimeOffset.UtcNow;
                for (var i = 0; i < perSave; i++)
                {
                    var index = Interlocked.Increment(ref next);
                    var noteId = Convert.ToHexStringLower(BitConverter.GetBytes(index)) + Guid.NewGuid().ToString("N")[..16];
                    session.Events.StartStream("pack.notes:note-" + noteId, drafts.Payload(noteId, index, now));
                }

                await session.SaveChangesAsync();
            }
        }

        Task Round(int saves) => Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(() => RunAsync(saves))));
        await Round(Math.Max(2, count / perSave / callers / 20));
        var before = Interlocked.Read(ref next);
        var watch = Stopwatch.StartNew();
        await Round(count / perSave / callers);
        return (Interlocked.Read(ref next) - before) / watch.Elapsed.TotalSeconds;
    }
}
