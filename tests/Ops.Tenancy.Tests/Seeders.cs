using System.Text.Json.Nodes;

namespace Ops.Tenancy.Tests;

/// <summary>What a seeder wrote for one tenant.</summary>
/// <param name="Markers">Strings that occur only in this tenant's data: its actor must see each at least once, the other tenant's actor never.</param>
/// <param name="Arguments">Query arguments that reach this tenant's data (every actor runs every tenant's arguments).</param>
internal sealed record TenantSeed(IReadOnlyList<string> Markers, IReadOnlyList<JsonObject> Arguments);

/// <summary>Writes data for one tenant that a query can return, through the pack's real write path.</summary>
/// <param name="PackId">The pack whose query it is (a seeder of a pack that is not in the repository is unused).</param>
/// <param name="Query">The query's registered name.</param>
/// <param name="SeedAsync">Writes the tenant's data as the tenant's actor.</param>
internal sealed record QuerySeeder(string PackId, string Query, Func<TenancyWorld, TenantActor, Task<TenantSeed>> SeedAsync);

/// <summary>
/// One seeder per registered query. Names are the registered strings, never pack types, so the project
/// builds whichever packs exist. A query without a seeder here fails
/// <see cref="EveryQueryTenancyTests.Query_TwoTenantsWithData_EachTenantsActorSeesOnlyItsOwn"/>.
/// </summary>
internal static class Seeders
{
    public static IReadOnlyList<QuerySeeder> All { get; } =
    [
        new("notes", "pack.notes.notes.ListNotes", async (world, tenant) =>
        {
            var title = Marker(tenant, "listed-note");
            await CreateNoteAsync(world, tenant, title);
            return new([title], [[], new JsonObject { ["surface_id"] = tenant.Caller.SurfaceId }]);
        }),
        new("notes", "pack.notes.notes.GetNote", async (world, tenant) =>
        {
            var title = Marker(tenant, "fetched-note");
            var noteId = await CreateNoteAsync(world, tenant, title);
            return new([title, noteId], [new JsonObject { ["note_id"] = noteId }]);
        }),
        new("github", "pack.github.issues.IssuesByStateAndLabel", async (world, tenant) =>
        {
            // Issue numbers 1 and 2 for both tenants: the same document keys, different content.
            var first = Marker(tenant, "issue-one");
            var second = Marker(tenant, "issue-two");
            var label = Marker(tenant, "label");
            world.GitHub.Serve(world.Harness.Time.GetUtcNow(), (1, first, [label]), (2, second, []));
            await world.SyncAsync(tenant, "github.issues");
            world.Harness.Time.Advance(TimeSpan.FromMinutes(1));
            return new([first, second, label], [[], new JsonObject { ["state"] = "open" }, new JsonObject { ["label"] = label }]);
        }),
    ];

    /// <summary>A string that names its tenant and cannot occur in another tenant's data.</summary>
    private static string Marker(TenantActor tenant, string what) => $"{tenant.TenantId}-only-{what}";

    private static async Task<string> CreateNoteAsync(TenancyWorld world, TenantActor tenant, string title)
    {
        var outcome = await world.SendAsync(tenant, "pack.notes.notes.CreateNote", "note-new", new { title, content = "body of " + title, content_type = "text" }, idempotencyKey: title);
        return (await world.FirstEventPayloadAsync(outcome)).GetProperty("note_id").GetString()!;
    }
}
