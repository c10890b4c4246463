using System.Text.Json;
using System.Text.Json.Nodes;
using Ops.Core.Capabilities;
using Ops.Core.Commands;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Testing;

namespace Ops.Tenancy.Tests;

/// <summary>An actor of one tenant, as the server knows it.</summary>
/// <param name="TenantId">Its registered tenant.</param>
/// <param name="Caller">How it calls the kernel.</param>
internal sealed record TenantActor(string TenantId, CallerContext Caller);

/// <summary>
/// A real kernel (KernelHarness: SQLite files in a temp folder) with Core and every in-repo pack, each
/// pack given what it needs to run (routes, configuration, a loopback upstream), and helpers that act
/// through the real write paths: commands proposed, signed and committed; connectors synced.
/// </summary>
internal sealed class TenancyWorld : IAsyncDisposable
{
    /// <summary>What actors of the test tenants may do: every pack command and query, and syncing connectors.</summary>
    private static readonly CapabilityScope PackUser = new(["pack.*", "core.SyncConnector"], ["*"], [SafetyClass.Read, SafetyClass.WriteInternal]);

    private TenancyWorld(KernelHarness harness, LoopbackGitHub github)
    {
        Harness = harness;
        GitHub = github;
    }

    public KernelHarness Harness { get; }

    /// <summary>The upstream the github pack's connector is configured against.</summary>
    public LoopbackGitHub GitHub { get; }

    public static async Task<TenancyWorld> StartAsync()
    {
        var github = new LoopbackGitHub();
        try
        {
            var settings = new Dictionary<string, string?>();
            foreach (var pack in InRepoPacks.All)
            {
                foreach (var (key, value) in SettingsFor(pack.PackId, github))
                {
                    settings[key] = value;
                }
            }

            var harness = await KernelHarness.StartAsync(InRepoPacks.All.Select(p => p.Create()), settings);
            return new TenancyWorld(harness, github);
        }
        catch
        {
            await github.DisposeAsync();
            throw;
        }
    }

    /// <summary>Registers an actor of <paramref name="tenantId"/> with a signing key and a capability for every pack.</summary>
    public async Task<TenantActor> AddTenantAsync(string actorId, string tenantId)
    {
        var (caller, _) = await Harness.AddActorAsync(actorId, PackUser, tenantId: tenantId);
        return new TenantActor(tenantId, caller);
    }

    /// <summary>Proposes, signs with the actor's key and commits; fails the test when the command is not accepted.</summary>
    public async Task<CommandOutcome> SendAsync(TenantActor actor, string commandType, string targetRef, object payload, string? idempotencyKey = null)
    {
        var outcome = await Harness.SendAsync(commandType, targetRef, payload, actor.Caller, idempotencyKey);
        Assert.True(outcome.IsAccepted, $"{commandType} as {actor.Caller.Actor.Id}: {outcome.ReasonCode} {outcome.Reason}");
        return outcome;
    }

    /// <summary>The payload of the first event a command appended.</summary>
    public async Task<JsonElement> FirstEventPayloadAsync(CommandOutcome outcome)
    {
        var events = await Harness.Kernel.EventLog.ReadAsync(outcome.Position!.Value - outcome.EventIds.Count, 1, CancellationToken.None);
        return events[0].Envelope.Payload;
    }

    /// <summary>Runs a connector's sync as the actor, the way <c>POST /v1/connectors/{pack}/{name}/sync</c> does.</summary>
    public async Task SyncAsync(TenantActor actor, string connectorId)
    {
        var result = await Harness.Kernel.Connectors.SyncAsync(connectorId, actor.Caller, null, CancellationToken.None);
        Assert.True(result.Completed, $"{connectorId} sync as {actor.Caller.Actor.Id} did not complete.");
    }

    /// <summary>Runs a registered query as the actor through the kernel's query runner; returns the result as JSON text.</summary>
    public async Task<string> QueryAsync(string queryName, JsonObject arguments, TenantActor actor)
    {
        var registration = Harness.Kernel.Registry.Queries.Values.Single(q => q.Name == queryName);
        var answer = await Harness.Kernel.Queries.RunAsync(registration, JsonSerializer.SerializeToElement(arguments), actor.Caller, CancellationToken.None);
        Assert.Equal(actor.TenantId, answer.TenantId);
        return answer.Result is null ? "null" : JsonSerializer.Serialize(answer.Result, answer.Result.GetType(), OpsJson.Options);
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.DisposeAsync();
        await GitHub.DisposeAsync();
    }

    /// <summary>What each in-repo pack needs to start and run here, by pack id; a pack not listed gets nothing.</summary>
    private static Dictionary<string, string?> SettingsFor(string packId, LoopbackGitHub github) => packId switch
    {
        "notes" => new()
        {
            ["Ops:Routes:notes_store:Provider"] = "sqlite",
            ["Ops:Routes:notes_store:ConnectionString"] = "Data Source=notes.db",
        },
        "github" => new()
        {
            ["Ops:Packs:github:BaseUrl"] = github.BaseUrl,
            ["Ops:Packs:github:Repository"] = "tenancy-org/issues",
            ["Ops:Packs:github:PerPage"] = "100",
            ["Ops:Secrets:github_token"] = "0000000000000000000000000000000000000001",
        },
        _ => [],
    };
}
