using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Commands;
using Ops.Core.Envelopes;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Core.Safety;
using Ops.Host.Cli;
using Ops.Host.Packs;

namespace Ops.Host.Tests;

/// <summary>
/// The host's own composition (HostComposition.Open: installed packs read from the log, verified, loaded) on a
/// fresh database in a temp folder, initialized with an admin whose signing key is a file, as after <c>init</c>.
/// <see cref="ReopenAsync"/> starts it again, as a worker restart would.
/// </summary>
internal sealed class PackHost : IAsyncDisposable
{
    public static readonly string FixturePacks = Path.Combine(AppContext.BaseDirectory, "fixture-packs");

    private readonly IConfiguration _configuration;

    private PackHost(string work, IConfiguration configuration)
    {
        Work = work;
        _configuration = configuration;
    }

    public string Work { get; }

    public string KeyFile => Path.Combine(HostProcess.UserConfigFolder(Work), "admin-signer.pem");

    public OpsKernel Kernel { get; private set; } = null!;

    /// <summary>The host's session over <see cref="Kernel"/>, as the CLI opens it.</summary>
    public OpsSession Session { get; private set; } = null!;

    public PackLoader Loader { get; private set; } = null!;

    public StringWriter Output { get; } = new();

    public CallerContext Admin { get; } = new(new ActorRef("admin", ActorKind.Human), "cli");

    public static async Task<PackHost> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var work = Directory.CreateTempSubdirectory("ops-packhost-").FullName;
        var values = new Dictionary<string, string?>
        {
            ["Ops:Routes:event_log:Provider"] = "sqlite",
            ["Ops:Routes:event_log:ConnectionString"] = "Data Source=data/ops.db",
            ["Ops:Routes:projections:Provider"] = "sqlite",
            ["Ops:Routes:projections:ConnectionString"] = "Data Source=data/ops.db",
            ["Ops:Routes:notes_store:Provider"] = "sqlite",
            ["Ops:Routes:notes_store:ConnectionString"] = "Data Source=data/ops.db",
            ["Ops:PacksPath"] = Path.Combine(work, "bundled"),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var host = new PackHost(work, new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        host.Open();
        ConsentCli.SaveNewKey(host.KeyFile, out var publicKey);
        await Bootstrap.InitializeAsync(host.Kernel, "admin", "acme", publicKey, CancellationToken.None);
        return host;
    }

    /// <summary>A private copy of a fixture pack folder (fixture-packs/&lt;name&gt;), so a test may edit it.</summary>
    public string CopyOfFixture(string name, string? into = null)
    {
        var target = Path.Combine(into ?? Path.Combine(Work, "folders"), name);
        foreach (var file in Directory.GetFiles(Path.Combine(FixturePacks, name), "*", SearchOption.AllDirectories))
        {
            var path = Path.Combine(target, Path.GetRelativePath(Path.Combine(FixturePacks, name), file));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Copy(file, path, overwrite: true);
        }

        return target;
    }

    public Task<bool> InstallAsync(string folder, bool upgrade = false) =>
        PacksCli.InstallAsync(Session, Loader.Verifier, Admin, KeyFile, folder, upgrade, Output, Output, CancellationToken.None);

    public Task<CommandOutcome> SendAsync(string type, string target, object payload) =>
        ConsentCli.SendAsync(Session, Admin, KeyFile, type, target, payload, Output, CancellationToken.None);

    public async Task ReopenAsync()
    {
        await Session.DisposeAsync();
        Open();
    }

    public async Task<long> HeadAsync() => await Kernel.EventLog.HeadPositionAsync(CancellationToken.None);

    public async Task<IReadOnlyList<LoggedEvent>> EventsAfterAsync(long position) => await Kernel.EventLog.ReadAsync(position, 1_000, CancellationToken.None);

    /// <summary>Asserts that exactly one event was appended after <paramref name="position"/>: a safety record with <paramref name="reasonCode"/>.</summary>
    public async Task<SafetyDecisionRecorded> AssertOnlyASafetyEventAfterAsync(long position, string reasonCode)
    {
        var appended = await EventsAfterAsync(position);
        var only = Assert.Single(appended);
        Assert.Equal(SafetyEventTypes.SafetyDecisionRecorded, only.Envelope.EventType);
        var decision = only.Envelope.PayloadAs<SafetyDecisionRecorded>();
        Assert.Equal(reasonCode, decision.ReasonCode);
        Assert.Equal("admin", decision.ActorId);
        Assert.Equal(PacksCli.InstallRoute, decision.Route);
        return decision;
    }

    /// <summary>Rewrites a pack folder's pack.json through a JSON edit.</summary>
    public static void EditManifest(string folder, Action<Dictionary<string, JsonElement>> edit)
    {
        var path = Path.Combine(folder, "pack.json");
        var manifest = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(path))!;
        edit(manifest);
        File.WriteAllText(path, JsonSerializer.Serialize(manifest));
    }

    private void Open()
    {
        Session = HostComposition.Open(_configuration, NullLoggerFactory.Instance, Work, PackCode.Load);
        Kernel = Session.Services.GetRequiredService<OpsKernel>();
        Loader = Session.Loader;
    }

    public async ValueTask DisposeAsync()
    {
        await Session.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Work, recursive: true);
    }
}
