using System.Text.Json;
using Microsoft.Data.Sqlite;
using Ops.Core.Capabilities;
using Ops.Core.Commands;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Packs;
using Ops.Core.Projections;
using Ops.Core.Safety;
using Ops.Testing;

namespace Ops.Core.Tests;

public sealed record AddItem(string Name, bool PeekTotals = false);

/// <summary>What the handler saw through its reader, recorded in the event so tests can see it too.</summary>
public sealed record ItemAdded(string Name, int VisibleItems, int? TotalsCount);

public sealed record ItemDocument(string Name, int Adds, string LastActor);

public sealed record ItemTotals(int Count, IReadOnlyList<string> Tenants);

public sealed record AllItems;

public sealed record Totals;

/// <summary>
/// Pack id "careless": written the way a careless (or hostile) pack author would. Its query handler
/// and command handler read every document they can and filter by nothing; its ItemTotals projection
/// spans tenants.
/// </summary>
public sealed class CarelessPack : IOpsPack
{
    public const string AddItemCommand = "pack.careless.items.AddItem";
    public const string ItemIndex = "pack.careless.items.ItemIndex";
    public const string ItemTotals = "pack.careless.items.ItemTotals";

    public void Register(IPackBuilder builder) => builder
        .AddEvent<ItemAdded>("pack.careless.items.ItemAdded")
        .AddCommand(AddItemCommand, SafetyClass.WriteInternal, CommandTarget<AddItem>.FromTargetRef("item-"))
        .AddProjection<ItemDocument>(ItemIndex, 1)
        .AddProjection<ItemTotals>(ItemTotals, 1, tenancy: ProjectionTenancy.SpansTenants)
        .AddQuery<AllItems, IReadOnlyList<ItemDocument>>("pack.careless.items.AllItems", "all-items")
        .AddQuery<Totals, ItemTotals?>("pack.careless.items.Totals", "totals");
}

internal sealed class AddItemHandler : ICommandHandler<AddItem>
{
    public async ValueTask<Decision> DecideAsync(CommandContext<AddItem> context, CancellationToken cancellationToken)
    {
        var visible = await context.Projections.ListAsync<ItemDocument>(CarelessPack.ItemIndex, cancellationToken);
        int? totals = context.Command.PeekTotals
            ? (await context.Projections.GetAsync<ItemTotals>(CarelessPack.ItemTotals, "all", cancellationToken))?.Count ?? 0
            : null;
        var added = new ItemAdded(context.Command.Name, visible.Count, totals);
        return Decision.Accept(added).WithPreview(null, added);
    }
}

internal sealed class ItemIndexProjection : IProjection<ItemDocument>
{
    public IReadOnlyCollection<string> EventTypes { get; } = ["pack.careless.items.ItemAdded"];

    public string? KeyOf(EventEnvelope envelope) => envelope.PayloadAs<ItemAdded>().Name;

    public ItemDocument? Apply(ItemDocument? current, EventEnvelope envelope) =>
        new(envelope.PayloadAs<ItemAdded>().Name, (current?.Adds ?? 0) + 1, envelope.Actor.Id);
}

internal sealed class ItemTotalsProjection : IProjection<ItemTotals>
{
    public IReadOnlyCollection<string> EventTypes { get; } = ["pack.careless.items.ItemAdded"];

    public string? KeyOf(EventEnvelope envelope) => "all";

    public ItemTotals? Apply(ItemTotals? current, EventEnvelope envelope) =>
        new((current?.Count ?? 0) + 1, [.. (current?.Tenants ?? []).Append(envelope.Scope.TenantId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]);
}

internal sealed class AllItemsHandler : IQueryHandler<AllItems, IReadOnlyList<ItemDocument>>
{
    // No tenant filter, no user filter: everything the reader gives.
    public ValueTask<IReadOnlyList<ItemDocument>> ExecuteAsync(QueryContext<AllItems> context, CancellationToken cancellationToken) =>
        context.Projections.ListAsync<ItemDocument>(CarelessPack.ItemIndex, cancellationToken);
}

internal sealed class TotalsHandler : IQueryHandler<Totals, ItemTotals?>
{
    public ValueTask<ItemTotals?> ExecuteAsync(QueryContext<Totals> context, CancellationToken cancellationToken) =>
        context.Projections.GetAsync<ItemTotals>(CarelessPack.ItemTotals, "all", cancellationToken);
}

/// <summary>Pack id "undeclared": registers a projection with a tenancy value that does not exist.</summary>
public sealed class UndeclaredPack : IOpsPack
{
    public void Register(IPackBuilder builder) =>
        builder.AddProjection<ItemDocument>("pack.undeclared.items.ItemIndex", 1, tenancy: (ProjectionTenancy)7);
}

/// <summary>
/// Tenancy by construction (seed 001; issue 7 item 8), from the attacker's side: a pack that filters
/// nothing still cannot fold, read or return another tenant's documents, and a projection that spans
/// tenants is readable only under a capability that names it.
/// </summary>
public sealed class TenancyTests
{
    private static readonly CapabilityScope CarelessUser = new(["pack.careless.*"], ["*"], [SafetyClass.Read, SafetyClass.WriteInternal]);
    private static CancellationToken Ct => CancellationToken.None;

    [Fact]
    public async Task CarelessQuery_NoFilterAtAll_ReturnsOnlyTheCallersTenantsDocuments()
    {
        await using var t = await TwoTenants.StartAsync();

        var acme = await t.AllItemsAsync(t.Acme);
        var globex = await t.AllItemsAsync(t.Globex);

        Assert.Equal([("apple", 2, "ann")], acme.Select(i => (i.Name, i.Adds, i.LastActor)));
        Assert.Equal([("apple", 1, "gus"), ("pear", 1, "gus")], globex.Select(i => (i.Name, i.Adds, i.LastActor)));
    }

    [Fact]
    public async Task Fold_SameKeyInTwoTenants_KeepsOneDocumentPerTenantAndMode()
    {
        await using var t = await TwoTenants.StartAsync();
        await t.Harness.Kernel.Projections.CatchUpAsync(null, Ct);

        var rows = Rows(t.Harness.DatabasePath, CarelessPack.ItemIndex);

        Assert.Equal(["acme/system/apple", "globex/system/apple", "globex/system/pear"], rows);
    }

    [Fact]
    public async Task CommandHandlerReader_NoFilterAtAll_SeesOnlyTheCallersTenant()
    {
        await using var t = await TwoTenants.StartAsync();

        // Acme holds one document; globex two. Each handler counts what its reader gives.
        var acme = await t.AddAsync(t.Acme, "plum");
        var globex = await t.AddAsync(t.Globex, "plum");

        Assert.Equal(1, (await t.AddedAsync(acme)).VisibleItems);
        Assert.Equal(2, (await t.AddedAsync(globex)).VisibleItems);
    }

    public static TheoryData<string?> WrongCapabilities => new()
    {
        { (string?)null },
        { "projection:" + CarelessPack.ItemIndex },
        { "projection:pack.careless.items.ItemTotalsX" },
    };

    [Theory]
    [MemberData(nameof(WrongCapabilities))]
    public async Task SpansTenants_QueryWithoutACapabilityNamingIt_IsRefusedAndRecorded(string? target)
    {
        await using var t = await TwoTenants.StartAsync();
        if (target is not null)
        {
            await t.GrantAsync("gus", new CapabilityScope([ProjectionAccess.ReadAcrossTenantsAction], [target], [SafetyClass.Read]));
        }

        var error = await Assert.ThrowsAsync<OpsException>(() => t.QueryAsync(t.Globex, "totals", new Totals()));

        Assert.Equal(ReasonCodes.CapabilityDenied, error.Code);
        Assert.Contains(CarelessPack.ItemTotals, error.Message, StringComparison.Ordinal);
        var recorded = (await t.Harness.Kernel.EventLog.ReadAsync(0, 10_000, Ct))
            .Where(e => e.Envelope.EventType == SafetyEventTypes.SafetyDecisionRecorded)
            .Select(e => e.Envelope.PayloadAs<SafetyDecisionRecorded>())
            .ToList();
        var decision = Assert.Single(recorded);
        Assert.Equal(("gus", ReasonCodes.CapabilityDenied), (decision.ActorId, decision.ReasonCode));
    }

    [Fact]
    public async Task SpansTenants_QueryWithACapabilityNamingIt_SeesEveryTenant()
    {
        await using var t = await TwoTenants.StartAsync();
        await t.GrantAsync("gus", new CapabilityScope([ProjectionAccess.ReadAcrossTenantsAction], [ProjectionAccess.TargetOf(CarelessPack.ItemTotals)], [SafetyClass.Read]));

        var totals = (ItemTotals?)await t.QueryAsync(t.Globex, "totals", new Totals());

        Assert.NotNull(totals);
        Assert.Equal(4, totals.Count);
        Assert.Equal(["acme", "globex"], totals.Tenants);
    }

    [Fact]
    public async Task SpansTenants_CommandReadingItWithoutCapability_IsRejectedAndAppendsNothing()
    {
        await using var t = await TwoTenants.StartAsync();
        var head = await t.Harness.MutationHeadAsync();
        var position = await t.Harness.Kernel.EventLog.HeadPositionAsync(Ct);

        var outcome = await t.Harness.SendAsync(CarelessPack.AddItemCommand, "item-fig", new AddItem("fig", PeekTotals: true), t.Globex);

        Assert.Equal(ReasonCodes.CapabilityDenied, outcome.ReasonCode);
        Assert.Contains(ProjectionAccess.ReadAcrossTenantsAction, outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(head, await t.Harness.MutationHeadAsync());
        Assert.Contains(await t.Harness.SafetyRecordsAfterAsync(position), r => r is { ActorId: "gus", ReasonCode: ReasonCodes.CapabilityDenied });
    }

    [Fact]
    public async Task SpansTenants_CommandReadingItWithCapability_SeesEveryTenant()
    {
        await using var t = await TwoTenants.StartAsync();
        await t.GrantAsync("gus", new CapabilityScope([ProjectionAccess.ReadAcrossTenantsAction], ["projection:pack.careless.*"], [SafetyClass.Read]));

        var outcome = await t.AddAsync(t.Globex, "fig", peekTotals: true);

        Assert.Equal(4, (await t.AddedAsync(outcome)).TotalsCount);
    }

    [Fact]
    public async Task Rebuild_TwoTenantsSharingKeys_StateHashesEqualLiveOnes()
    {
        await using var t = await TwoTenants.StartAsync();
        var projections = t.Harness.Kernel.Projections;
        await projections.CatchUpAsync(null, Ct);
        var live = (await projections.StateHashAsync(CarelessPack.ItemIndex, Ct), await projections.StateHashAsync(CarelessPack.ItemTotals, Ct));

        await projections.RebuildAsync(CarelessPack.ItemIndex, Ct);
        await projections.RebuildAsync(CarelessPack.ItemTotals, Ct);

        Assert.Equal(live, (await projections.StateHashAsync(CarelessPack.ItemIndex, Ct), await projections.StateHashAsync(CarelessPack.ItemTotals, Ct)));
        Assert.Equal(ProjectionVerificationStatus.Match, (await projections.VerifyAsync(CarelessPack.ItemIndex, Ct)).Status);
        Assert.Equal(ProjectionVerificationStatus.Match, (await projections.VerifyAsync(CarelessPack.ItemTotals, Ct)).Status);
    }

    [Fact]
    public async Task StateHash_DocumentMovedToAnotherTenant_ChangesAndVerifyNamesIt()
    {
        await using var t = await TwoTenants.StartAsync();
        var projections = t.Harness.Kernel.Projections;
        await projections.CatchUpAsync(null, Ct);
        var before = await projections.StateHashAsync(CarelessPack.ItemIndex, Ct);

        // Behind the kernel's back: globex's pear now claims to be acme's (same bytes, other tenant).
        Execute(t.Harness.DatabasePath, $"UPDATE projection_documents SET tenant_id = 'acme' WHERE projection = '{CarelessPack.ItemIndex}' AND tenant_id = 'globex' AND doc_key = 'pear'");

        var verification = await projections.VerifyAsync(CarelessPack.ItemIndex, Ct);
        Assert.NotEqual(before, await projections.StateHashAsync(CarelessPack.ItemIndex, Ct));
        Assert.Equal(ProjectionVerificationStatus.Differs, verification.Status);
        Assert.Equal("acme/system/pear: stored, but the log folds into no such document", verification.FirstDifference);
        Assert.Equal(before, verification.RebuiltHash);
    }

    [Fact]
    public async Task Documents_FoldedInAnotherMode_AreNotReadInThisMode()
    {
        var directory = Directory.CreateTempSubdirectory("ops-tenancy-mode-").FullName;
        var database = Path.Combine(directory, "ops.db");
        var routes = new Dictionary<string, string?>
        {
            ["Ops:Routes:event_log:ConnectionString"] = $"Data Source={database}",
            ["Ops:Routes:projections:ConnectionString"] = $"Data Source={database}",
        };
        try
        {
            await using (var lab = await KernelHarness.StartAsync([new CarelessPack()], new Dictionary<string, string?>(routes) { ["Ops:Mode"] = "lab" }))
            {
                Assert.True((await lab.SendAsync(CarelessPack.AddItemCommand, "item-kiwi", new AddItem("kiwi"))).IsAccepted);
                Assert.Single(await QueryAsync(lab, "all-items", new AllItems()) as IReadOnlyList<ItemDocument> ?? []);
            }

            await using var system = await KernelHarness.StartAsync([new CarelessPack()], routes, initialize: false);
            var items = (IReadOnlyList<ItemDocument>?)await QueryAsync(system, "all-items", new AllItems());

            Assert.Empty(items!);
            Assert.Equal(["acme/lab/kiwi"], Rows(database, CarelessPack.ItemIndex));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task AddProjection_UndefinedTenancy_RefusesThePack()
    {
        var error = await Assert.ThrowsAsync<PackLoadException>(() => KernelHarness.StartAsync([new UndeclaredPack()]));

        Assert.Equal("undeclared", error.PackId);
        Assert.Contains("tenancy 7", error.Message, StringComparison.Ordinal);
    }

    private static async Task<object?> QueryAsync(KernelHarness h, string route, object arguments) =>
        (await h.Kernel.Queries.RunAsync(h.Kernel.Registry.Queries["careless/" + route], JsonSerializer.SerializeToElement(arguments), h.AdminCaller, Ct)).Result;

    private static List<string> Rows(string database, string projection)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT tenant_id, mode, doc_key FROM projection_documents WHERE projection = $p ORDER BY tenant_id, mode, doc_key";
        command.Parameters.AddWithValue("$p", projection);
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add($"{reader.GetString(0)}/{reader.GetString(1)}/{reader.GetString(2)}");
        }

        return rows;
    }

    private static void Execute(string database, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        Assert.Equal(1, command.ExecuteNonQuery());
    }

    /// <summary>A kernel with the careless pack: ann (acme) added apple twice, gus (globex) apple and pear.</summary>
    private sealed class TwoTenants : IAsyncDisposable
    {
        private TwoTenants(KernelHarness harness, CallerContext acme, CallerContext globex)
        {
            Harness = harness;
            Acme = acme;
            Globex = globex;
        }

        public KernelHarness Harness { get; }

        public CallerContext Acme { get; }

        public CallerContext Globex { get; }

        public static async Task<TwoTenants> StartAsync()
        {
            var harness = await KernelHarness.StartAsync([new CarelessPack()]);
            var (acme, _) = await harness.AddActorAsync("ann", CarelessUser);
            var (globex, _) = await harness.AddActorAsync("gus", CarelessUser, tenantId: "globex");
            var t = new TwoTenants(harness, acme, globex);
            await t.AddAsync(acme, "apple");
            await t.AddAsync(globex, "apple");
            await t.AddAsync(globex, "pear");
            await t.AddAsync(acme, "apple", key: "again");
            return t;
        }

        public async Task<CommandOutcome> AddAsync(CallerContext caller, string name, bool peekTotals = false, string? key = null)
        {
            var outcome = await Harness.SendAsync(CarelessPack.AddItemCommand, "item-" + name, new AddItem(name, peekTotals), caller, key);
            Assert.True(outcome.IsAccepted, outcome.Reason);
            return outcome;
        }

        public async Task<ItemAdded> AddedAsync(CommandOutcome outcome) =>
            (await Harness.Kernel.EventLog.ReadAsync(outcome.Position!.Value - 1, 1, Ct))[0].Envelope.PayloadAs<ItemAdded>();

        public async Task GrantAsync(string actorId, CapabilityScope scope)
        {
            var granted = await Harness.SendAsync("core.GrantCapability", null, new GrantCapability(actorId, scope), idempotencyKey: "grant-" + Guid.NewGuid());
            Assert.True(granted.IsAccepted, granted.Reason);
        }

        public async Task<object?> QueryAsync(CallerContext caller, string route, object arguments) =>
            (await Harness.Kernel.Queries.RunAsync(Harness.Kernel.Registry.Queries["careless/" + route], JsonSerializer.SerializeToElement(arguments), caller, Ct)).Result;

        public async Task<IReadOnlyList<ItemDocument>> AllItemsAsync(CallerContext caller) =>
            (IReadOnlyList<ItemDocument>)(await QueryAsync(caller, "all-items", new AllItems()))!;

        public ValueTask DisposeAsync() => Harness.DisposeAsync();
    }
}
