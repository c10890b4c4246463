using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Ops.Tenancy.Tests;

/// <summary>
/// Tenancy by construction, for every query (issue 7 item 8; seed 001: tenant and mode enforced
/// server-side). Generated from the registry of Core and every in-repo pack: for each registered query,
/// two tenants write data through the real write paths, and each tenant's actor sees only its own.
/// </summary>
public sealed class EveryQueryTenancyTests(ITestOutputHelper output)
{
    public static TheoryData<string> RegisteredQueries()
    {
        var data = new TheoryData<string>();
        foreach (var name in InRepoPacks.Registry().Queries.Values.Select(q => q.Name).Order(StringComparer.Ordinal))
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RegisteredQueries))]
    public async Task Query_TwoTenantsWithData_EachTenantsActorSeesOnlyItsOwn(string query)
    {
        var seeder = Seeders.All.SingleOrDefault(s => s.Query == query);
        Assert.True(seeder is not null, $"Query {query} has no two-tenant seeder. Add one to Seeders.All (tests/Ops.Tenancy.Tests/Seeders.cs) that writes a tenant's data through the pack's real write path.");
        await using var world = await TenancyWorld.StartAsync();
        var acme = await world.AddTenantAsync("ann", "acme");
        var globex = await world.AddTenantAsync("gus", "globex");
        var seeds = new[] { (Actor: acme, Seed: await seeder.SeedAsync(world, acme)), (Actor: globex, Seed: await seeder.SeedAsync(world, globex)) };
        Assert.All(seeds, s => Assert.NotEmpty(s.Seed.Markers));
        var arguments = seeds.SelectMany(s => s.Seed.Arguments).ToList();

        foreach (var (actor, seed) in seeds)
        {
            var others = seeds.Where(s => s.Actor != actor).SelectMany(s => s.Seed.Markers).ToList();
            var answers = new List<string>();
            foreach (var args in arguments)
            {
                var json = await world.QueryAsync(query, (JsonObject)args.DeepClone(), actor);
                foreach (var marker in others)
                {
                    Assert.False(json.Contains(marker, StringComparison.Ordinal), $"{query} {args.ToJsonString()} as {actor.Caller.Actor.Id} ({actor.TenantId}) returned another tenant's data ({marker}): {json}");
                }

                answers.Add(json);
            }

            // Not vacuous: the actor's own data is visible through at least one of the arguments.
            foreach (var marker in seed.Markers)
            {
                Assert.True(answers.Any(a => a.Contains(marker, StringComparison.Ordinal)), $"{query} as {actor.Caller.Actor.Id} ({actor.TenantId}) never returned its own {marker}: {string.Join(" | ", answers)}");
            }

            output.WriteLine($"{query} as {actor.TenantId}: {arguments.Count} argument sets, {seed.Markers.Count} own markers seen, 0 of {others.Count} foreign markers.");
        }
    }

    [Fact]
    public void Registry_EveryQueryOfEveryInRepoPack_HasATwoTenantSeeder()
    {
        var packs = InRepoPacks.All.Select(p => p.PackId).ToList();
        var queries = InRepoPacks.Registry().Queries.Values.Select(q => q.Name).Order(StringComparer.Ordinal).ToList();
        var seeded = Seeders.All.Where(s => packs.Contains(s.PackId)).Select(s => s.Query).ToList();

        output.WriteLine($"{packs.Count} in-repo packs ({string.Join(", ", packs)}), {queries.Count} registered queries, {seeded.Count} with a two-tenant seeder.");
        Assert.NotEmpty(packs);
        Assert.NotEmpty(queries);
        Assert.Empty(queries.Except(seeded));
        Assert.Empty(seeded.Except(queries));
        Assert.Equal(seeded.Count, seeded.Distinct().Count());
    }
}
