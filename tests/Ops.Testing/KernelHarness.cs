using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Commands;
using Ops.Core.Envelopes;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Core.Packs;

namespace Ops.Testing;

/// <summary>
/// A real kernel on a fresh SQLite file in a temp folder, with Core and the given in-process packs,
/// initialized with an admin actor ("admin", tenant "acme") holding the root capability.
/// </summary>
public sealed class KernelHarness : IAsyncDisposable
{
    private KernelHarness(string directory, OpsKernel kernel, ManualTimeProvider time, BootstrapResult admin)
    {
        Directory = directory;
        Kernel = kernel;
        Time = time;
        Admin = admin;
    }

    public string Directory { get; }

    internal OpsKernel Kernel { get; }

    public ManualTimeProvider Time { get; }

    internal BootstrapResult Admin { get; }

    public string DatabasePath => Path.Combine(Directory, "ops.db");

    public CallerContext AdminCaller => new(new ActorRef("admin", ActorKind.Human), "test");

    public static async Task<KernelHarness> StartAsync(IEnumerable<IOpsPack>? packs = null, IDictionary<string, string?>? settings = null, bool initialize = true)
    {
        var directory = Path.Combine(Path.GetTempPath(), "ops-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var time = new ManualTimeProvider();
        var values = new Dictionary<string, string?>
        {
            ["Ops:Mode"] = "system",
            ["Ops:Routes:event_log:Provider"] = "sqlite",
            ["Ops:Routes:event_log:ConnectionString"] = $"Data Source={Path.Combine(directory, "ops.db")}",
            ["Ops:Routes:projections:Provider"] = "sqlite",
            ["Ops:Routes:projections:ConnectionString"] = $"Data Source={Path.Combine(directory, "ops.db")}",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var registry = KernelRegistryFactory.CreateWithCore(time, NullLoggerFactory.Instance);
        foreach (var pack in packs ?? [])
        {
            var id = pack.GetType().Name.Replace("Pack", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
            KernelRegistryFactory.AddPack(registry, pack, new LoadedPack(id, "1.0.0", string.Empty, string.Empty, [], []), configuration, time, NullLoggerFactory.Instance);
        }

        var kernel = OpsKernel.Open(configuration, registry, time, NullLoggerFactory.Instance, directory);
        var admin = initialize
            ? await Bootstrap.InitializeAsync(kernel, "admin", "acme", CancellationToken.None)
            : new BootstrapResult("", "", "", "");
        return new KernelHarness(directory, kernel, time, admin);
    }

    /// <summary>Sends a command as <paramref name="caller"/> (default: admin).</summary>
    public Task<CommandOutcome> SendAsync(string commandType, string targetRef, object payload, CallerContext? caller = null, string? idempotencyKey = null) =>
        Kernel.Gateway.SendAsync(
            new CommandEnvelope
            {
                CommandType = commandType,
                TargetRef = targetRef,
                Payload = JsonSerializer.SerializeToElement(payload, payload.GetType(), OpsJson.Options),
                IdempotencyKey = idempotencyKey,
            },
            caller ?? AdminCaller,
            CancellationToken.None);

    /// <summary>Registers an actor and grants it a capability; returns the caller context and capability id.</summary>
    public async Task<(CallerContext Caller, string CapabilityId)> AddActorAsync(string actorId, Ops.Core.Capabilities.CapabilityScope scope, ActorKind kind = ActorKind.Human)
    {
        var registered = await SendAsync("core.RegisterActor", "actor-" + actorId, new Ops.Core.Capabilities.RegisterActor(actorId, kind, actorId));
        if (!registered.IsAccepted)
        {
            throw new InvalidOperationException(registered.Reason);
        }

        var granted = await SendAsync("core.GrantCapability", "capability", new Ops.Core.Capabilities.GrantCapability(actorId, scope), idempotencyKey: "grant-" + actorId + "-" + Guid.NewGuid());
        if (!granted.IsAccepted)
        {
            throw new InvalidOperationException(granted.Reason);
        }

        var events = await Kernel.EventLog.ReadAsync(granted.Position!.Value - 1, 1, CancellationToken.None);
        return (new CallerContext(new ActorRef(actorId, kind), "test"), events[0].Envelope.PayloadAs<Ops.Core.Capabilities.CapabilityGranted>().CapabilityId);
    }

    public async ValueTask DisposeAsync()
    {
        await Kernel.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere only leaves a temp folder behind.
        }
    }
}
