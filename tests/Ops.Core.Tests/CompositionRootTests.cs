using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Ops.Core.Commands;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Log;
using Ops.Core.Packs;
using Ops.Core.Routing;
using Ops.Core.Storage;
using Ops.Storage.Sqlite;

namespace Ops.Core.Tests;

/// <summary>Issue 8 item 1: <c>services.AddOps(configuration).AddPack&lt;T&gt;()</c> is the one front door, validated on start.</summary>
public sealed class CompositionRootTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ops-composition-").FullName;

    private Dictionary<string, string?> Settings => new()
    {
        ["Ops:Routes:event_log:Provider"] = "sqlite",
        ["Ops:Routes:event_log:ConnectionString"] = "Data Source=data/ops.db",
        ["Ops:Routes:projections:Provider"] = "sqlite",
        ["Ops:Routes:projections:ConnectionString"] = "Data Source=data/ops.db",
        ["Ops:Checkpoints:KeyFile"] = Path.Combine(_directory, "keys", "checkpoint.pem"),
        ["Ops:Checkpoints:IntervalSeconds"] = "0",
    };

    [Fact]
    public async Task AddOps_OnAGenericHost_StartsTheKernel_WithThePackAndItsCommands()
    {
        using var host = Build(Settings);

        await host.StartAsync();
        var gateway = host.Services.GetRequiredService<ICommandGateway>();
        var log = host.Services.GetRequiredService<IEventLog>();
        var outcome = await gateway.SendAsync(new CommandEnvelope { CommandType = "pack.mail.email.SendEmail", TargetRef = "mail-1", Payload = System.Text.Json.JsonDocument.Parse("{\"to\":\"a@example.com\"}").RootElement }, new CallerContext(new ActorRef("nobody", ActorKind.Service), "test"), CancellationToken.None);
        await host.StopAsync();

        Assert.Equal(ReasonCodes.ConsentRequired, outcome.ReasonCode);
        Assert.True(File.Exists(Path.Combine(_directory, "data", "ops.db")), "relative routes resolve against the host's content root");
        Assert.Equal(1, await log.HeadPositionAsync(CancellationToken.None));
    }

    [Fact]
    public async Task AddOps_InvalidOptions_StopTheStart()
    {
        var settings = Settings;
        settings["Ops:Mode"] = "production";
        using var host = Build(settings);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Ops:Mode", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddOps_AMissingRoute_StopsTheStartNamingTheKind()
    {
        var settings = Settings;
        settings.Remove("Ops:Routes:projections:Provider");
        settings.Remove("Ops:Routes:projections:ConnectionString");
        using var host = Build(settings);

        var error = await Assert.ThrowsAsync<RouteMissingException>(() => host.StartAsync());

        Assert.Contains("projections", error.ResourceKinds);
    }

    [Fact]
    public void AddPack_ANameOutsideThePacksNamespace_IsRefusedAtOnce()
    {
        var services = new ServiceCollection();
        var ops = services.AddOps(new ConfigurationBuilder().AddInMemoryCollection(Settings).Build());

        var error = Assert.Throws<PackLoadException>(() => ops.AddPack<RoguePack>());

        Assert.Equal("rogue", error.PackId);
    }

    [Fact]
    public async Task UseStorage_AProviderDefinedInATest_IsEnoughForTheKernelToOpen()
    {
        // Issue 21 item 1: a fourth engine is one provider and one registration; nothing in the kernel changes.
        var provider = new InTestProvider();
        var settings = Settings;
        settings["Ops:Mode"] = "lab";
        settings["Ops:Routes:event_log:Provider"] = "in-test";
        settings["Ops:Routes:projections:Provider"] = "In-Test";
        using var host = Build(settings, ops => ops.UseStorage(provider));

        await host.StartAsync();
        var gateway = host.Services.GetRequiredService<ICommandGateway>();
        var outcome = await gateway.SendAsync(new CommandEnvelope { CommandType = "pack.mail.email.SendEmail", TargetRef = "mail-1", Payload = System.Text.Json.JsonDocument.Parse("{\"to\":\"a@example.com\"}").RootElement }, new CallerContext(new ActorRef("nobody", ActorKind.Service), "test"), CancellationToken.None);
        var head = await host.Services.GetRequiredService<IEventLog>().HeadPositionAsync(CancellationToken.None);
        await host.StopAsync();

        Assert.Equal(ReasonCodes.ConsentRequired, outcome.ReasonCode);
        Assert.Equal(1, head);
        Assert.Equal(["event_log", "projections"], provider.Resolved.Order(StringComparer.Ordinal));
        Assert.Equal(1, provider.Opened);
        Assert.False(Directory.Exists(Path.Combine(_directory, "data")), "the in-test provider's database is in memory; nothing fell back to a SQLite file");
    }

    [Fact]
    public async Task AddOps_WithoutAStorageProvider_StopsTheStart_SayingWhichToAdd()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _directory, DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(Settings);
        builder.Services.AddOps(builder.Configuration).AddPack<MailPack>();
        using var host = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains("UseSqlite()", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_directory, "data")), "nothing was created");
    }

    [Fact]
    public async Task UseStorage_ALabOnlyRouteOutsideLabMode_IsRefusedWhateverTheProvider()
    {
        var settings = Settings;
        settings["Ops:Routes:event_log:Provider"] = "in-test";
        using var host = Build(settings, ops => ops.UseStorage(new InTestProvider()));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains("seed 001: no downgrade to memory", error.Message, StringComparison.Ordinal);
    }

    private IHost Build(Dictionary<string, string?> settings, Action<IOpsBuilder>? storage = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _directory, DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        var ops = builder.Services.AddOps(builder.Configuration);
        if (storage is null)
        {
            ops.UseSqlite();
        }
        else
        {
            storage(ops);
        }

        ops.AddPack<MailPack>();
        return builder.Build();
    }

    /// <summary>A provider written in the test: a lab-only engine over SQLite's shared in-memory database.</summary>
    private sealed class InTestProvider : IStorageProvider
    {
        private readonly string _name = "in-test-" + Guid.NewGuid().ToString("N");

        public List<string> Resolved { get; } = [];

        public int Opened { get; private set; }

        public IReadOnlyList<string> Names { get; } = ["in-test"];

        public ResolvedRoute Resolve(string resourceKind, string provider, RouteOptions options, string contentRoot)
        {
            Resolved.Add(resourceKind);
            return new ResolvedRoute(resourceKind, provider, $"Data Source={_name};Mode=Memory;Cache=Shared", IsLab: true);
        }

        public IStorageEngine Open(ResolvedRoute route, StorageContext context)
        {
            Opened++;
            return new SqliteStorageProvider().Open(route, context);
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still closing leaves the temp folder behind.
        }
    }
}
