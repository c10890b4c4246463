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

    private IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _directory, DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddOps(builder.Configuration).AddPack<MailPack>();
        return builder.Build();
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
