using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Commands;
using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Core.Packs;

namespace Ops.Testing;

/// <summary>
/// A real kernel on a fresh SQLite file in a temp folder, with Core and the given in-process packs,
/// initialized with an admin actor ("admin", tenant "acme") holding the root capability. It keeps each
/// actor's consent signing key, so <see cref="SendAsync"/> can propose, sign and commit like a person would.
/// </summary>
public sealed class KernelHarness : IAsyncDisposable
{
    private readonly Dictionary<string, ECDsa> _keys = new(StringComparer.Ordinal);

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
            // Never the real per-user folder: each harness has its own checkpoint key and checkpoints.
            ["Ops:Checkpoints:KeyFile"] = Path.Combine(directory, "keys", "checkpoint-key.pem"),
            ["Ops:Checkpoints:Directory"] = Path.Combine(directory, "checkpoints"),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();

        // Composed the one way every host composes the kernel (AddOps); the harness drives it without starting its background services.
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        var ops = services.AddOps(configuration).UseTimeProvider(time);
        services.Configure<KernelOptions>(o => o.ContentRoot = directory);
        foreach (var pack in packs ?? [])
        {
            var id = pack.GetType().Name.Replace("Pack", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
            ops.AddPack(pack, new OpsPackInfo(id, "1.0.0", string.Empty, string.Empty, [], []));
        }

        var kernel = services.BuildServiceProvider().GetRequiredService<OpsKernel>();
        var adminKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var admin = initialize
            ? await Bootstrap.InitializeAsync(kernel, "admin", "acme", Convert.ToBase64String(adminKey.ExportSubjectPublicKeyInfo()), CancellationToken.None)
            : new BootstrapResult("", "", "", "", "");
        var harness = new KernelHarness(directory, kernel, time, admin);
        harness._keys["admin"] = adminKey;
        return harness;
    }

    /// <summary>
    /// The position of the last event that is not a safety record: a refused command "appends nothing" when this
    /// does not move (its refusal may still be recorded on the safety stream, in its own transaction).
    /// </summary>
    public async Task<long> MutationHeadAsync()
    {
        var head = await Kernel.EventLog.HeadPositionAsync(CancellationToken.None);
        while (head > 0)
        {
            var page = await Kernel.EventLog.ReadAsync(Math.Max(0, head - 100), (int)Math.Min(100, head), CancellationToken.None);
            var last = page.LastOrDefault(e => e.Envelope.StreamId != Ops.Core.Safety.SafetyEventTypes.SafetyStream);
            if (last is not null)
            {
                return last.Position;
            }

            head = page[0].Position - 1;
        }

        return 0;
    }

    /// <summary>The safety records appended after <paramref name="position"/>, oldest first.</summary>
    public async Task<IReadOnlyList<Ops.Core.Safety.SafetyDecisionRecorded>> SafetyRecordsAfterAsync(long position)
    {
        var events = await Kernel.EventLog.ReadStreamAsync(Ops.Core.Safety.SafetyEventTypes.SafetyStream, CancellationToken.None);
        return events.Where(e => e.Position > position).Select(e => e.Envelope.PayloadAs<Ops.Core.Safety.SafetyDecisionRecorded>()).ToList();
    }

    /// <summary>The consent signing key the harness holds for an actor.</summary>
    public ECDsa KeyOf(string actorId) => _keys[actorId];

    /// <summary>Proposes a command; the harness checks nothing.</summary>
    public Task<ProposeResult> ProposeAsync(string commandType, string? targetRef, object payload, CallerContext? caller = null, string? idempotencyKey = null) =>
        Kernel.Gateway.ProposeAsync(Envelope(commandType, targetRef, payload, idempotencyKey), caller ?? AdminCaller, CancellationToken.None);

    /// <summary>Proposes an envelope as it is.</summary>
    public Task<ProposeResult> ProposeAsync(CommandEnvelope envelope, CallerContext? caller = null) =>
        Kernel.Gateway.ProposeAsync(envelope, caller ?? AdminCaller, CancellationToken.None);

    /// <summary>Signs an interpretation with the caller's key, valid for ten minutes from now.</summary>
    public ConsentGrant Sign(ProposedInterpretation interpretation, string actorId = "admin") =>
        ConsentSigning.Sign(_keys[actorId], actorId, interpretation, Time.GetUtcNow(), TimeSpan.FromMinutes(10));

    /// <summary>Commits a proposal's interpretation with the given consent.</summary>
    public Task<CommitResult> CommitAsync(Proposal proposal, ProposedInterpretation interpretation, ConsentGrant consent, CallerContext? caller = null) =>
        Kernel.Gateway.CommitAsync(new CommitRequest(proposal.Command, proposal.ProposedAt, interpretation.InterpretationId, interpretation.PreviewHash, consent), caller ?? AdminCaller, CancellationToken.None);

    /// <summary>
    /// Does what a person would as <paramref name="caller"/> (default: admin): proposes the command and, when it
    /// has exactly one interpretation, signs it with the caller's key and commits it. Returns the proposal's
    /// rejection, or the commit's outcome.
    /// </summary>
    public Task<CommandOutcome> SendAsync(string commandType, string? targetRef, object payload, CallerContext? caller = null, string? idempotencyKey = null) =>
        SendEnvelopeAsync(Envelope(commandType, targetRef, payload, idempotencyKey), caller);

    /// <summary>Proposes, signs with the caller's key and commits an envelope (see <see cref="SendAsync"/>).</summary>
    public async Task<CommandOutcome> SendEnvelopeAsync(CommandEnvelope envelope, CallerContext? caller = null)
    {
        var who = caller ?? AdminCaller;
        var commandType = envelope.CommandType;
        var proposed = await Kernel.Gateway.ProposeAsync(envelope, who, CancellationToken.None);
        if (proposed.Rejection is { } rejected)
        {
            return rejected;
        }

        var proposal = proposed.Proposal!;
        if (proposal.Interpretations.Count != 1)
        {
            throw new InvalidOperationException($"{commandType} is ambiguous ({proposal.Interpretations.Count} interpretations); use ProposeAsync and CommitAsync.");
        }

        var interpretation = proposal.Interpretations[0];
        var consent = _keys.ContainsKey(who.Actor.Id)
            ? Sign(interpretation, who.Actor.Id)
            : new ConsentGrant(ConsentKind.Signature, who.Actor.Id, "none", Time.GetUtcNow(), Time.GetUtcNow().AddMinutes(5), "no-key-registered-0000", Convert.ToBase64String(new byte[64]));
        return (await CommitAsync(proposal, interpretation, consent, who)).Outcome;
    }

    /// <summary>Sends a command straight to the gateway's SendAsync, without consent.</summary>
    public Task<CommandOutcome> SendWithoutConsentAsync(string commandType, string? targetRef, object payload, CallerContext? caller = null, string? idempotencyKey = null) =>
        Kernel.Gateway.SendAsync(Envelope(commandType, targetRef, payload, idempotencyKey), caller ?? AdminCaller, CancellationToken.None);

    public static CommandEnvelope Envelope(string commandType, string? targetRef, object payload, string? idempotencyKey = null) => new()
    {
        CommandType = commandType,
        TargetRef = targetRef,
        Payload = JsonSerializer.SerializeToElement(payload, payload.GetType(), OpsJson.Options),
        IdempotencyKey = idempotencyKey,
    };

    /// <summary>Creates a signing key for an actor, registers it with the admin's consent, and keeps it for <see cref="SendAsync"/>.</summary>
    public async Task<string> RegisterKeyAsync(string actorId)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyId = ConsentSigning.KeyId(key.ExportSubjectPublicKeyInfo());
        var registered = await SendAsync("core.RegisterSignerKey", null, new RegisterSignerKey(actorId, Convert.ToBase64String(key.ExportSubjectPublicKeyInfo())));
        if (!registered.IsAccepted)
        {
            key.Dispose();
            throw new InvalidOperationException(registered.Reason);
        }

        _keys[actorId] = key;
        return keyId;
    }

    /// <summary>Registers an actor (of the admin's tenant unless <paramref name="tenantId"/> says otherwise) and grants it a capability; returns the caller context and capability id.</summary>
    public async Task<(CallerContext Caller, string CapabilityId)> AddActorAsync(string actorId, Ops.Core.Capabilities.CapabilityScope scope, ActorKind kind = ActorKind.Human, string? tenantId = null)
    {
        var registered = await SendAsync("core.RegisterActor", null, new Ops.Core.Capabilities.RegisterActor(actorId, kind, actorId, tenantId));
        if (!registered.IsAccepted)
        {
            throw new InvalidOperationException(registered.Reason);
        }

        await RegisterKeyAsync(actorId);
        var granted = await SendAsync("core.GrantCapability", null, new Ops.Core.Capabilities.GrantCapability(actorId, scope), idempotencyKey: "grant-" + actorId + "-" + Guid.NewGuid());
        if (!granted.IsAccepted)
        {
            throw new InvalidOperationException(granted.Reason);
        }

        var events = await Kernel.EventLog.ReadAsync(granted.Position!.Value - 1, 1, CancellationToken.None);
        return (new CallerContext(new ActorRef(actorId, kind), "test"), events[0].Envelope.PayloadAs<Ops.Core.Capabilities.CapabilityGranted>().CapabilityId);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var key in _keys.Values)
        {
            key.Dispose();
        }

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
