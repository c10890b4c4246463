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
using Ops.Core.Storage;

namespace Ops.Testing;

/// <summary>
/// A real kernel on a fresh SQLite file in a temp folder, with Core and the given in-process packs,
/// initialized with an admin actor ("admin", tenant "acme") holding the root capability. It keeps each
/// actor's consent signing key, so <see cref="SendAsync"/> can propose, sign and commit like a person would,
/// and <see cref="QueryAsync{TResult}"/> asks a pack's query as the API would. Everything the kernel
/// guarantees holds here (capabilities, consent, the hash-chained log, projections); for a faster test of one
/// handler or projection without a database, see <see cref="PackSpec"/>. Dispose it to delete the folder.
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

    /// <summary>The temporary folder holding the database, checkpoints and keys; deleted on dispose.</summary>
    public string Directory { get; }

    internal OpsKernel Kernel { get; }

    /// <summary>The kernel's clock; it moves only when told.</summary>
    public ManualTimeProvider Time { get; }

    internal BootstrapResult Admin { get; }

    /// <summary>The SQLite file of the log and the default projection route.</summary>
    public string DatabasePath => Path.Combine(Directory, "ops.db");

    /// <summary>The admin actor (<c>admin</c>, tenant <c>acme</c>, root capability), on surface <c>test</c>.</summary>
    public CallerContext AdminCaller => new(new ActorRef("admin", ActorKind.Human), "test");

    /// <summary>
    /// Starts a kernel with these packs, each registered under its manifest's pack id, as the host would load them
    /// (but in-process: no folder, no install checks; use <see cref="PackChecks"/> for those): with the exports and
    /// depends_on of the pack.json beside each pack's assembly, or by the packaging convention when there is none (a
    /// referenced <c>*.Contracts</c> assembly named after the pack's assembly is exported, any other depended on), and in
    /// the loader's order, a pack after those that export what it depends on.
    /// </summary>
    /// <param name="packs">Each pack's id (its manifest's <c>pack_id</c>) and entry type.</param>
    /// <param name="settings">Configuration on top of the harness's own (routes, mode, checkpoints), for example a pack's <c>Ops:Packs:&lt;pack_id&gt;:*</c> settings or an extra route.</param>
    /// <param name="initialize">Whether to run <c>init</c> (the admin actor and its root capability).</param>
    /// <returns>The started harness.</returns>
    /// <exception cref="PackLoadException">A pack would be refused at load.</exception>
    public static Task<KernelHarness> StartAsync(IReadOnlyList<(string PackId, IOpsPack Pack)> packs, IDictionary<string, string?>? settings = null, bool initialize = true)
    {
        ArgumentNullException.ThrowIfNull(packs);
        return StartCoreAsync(packs, settings, initialize);
    }

    /// <summary>
    /// Starts a kernel with these packs, each registered under a pack id made from its entry type's name:
    /// without the word <c>Pack</c>, lowercased (<c>NotesPack</c> is <c>notes</c>). Name the ids with the other
    /// overload when they differ.
    /// </summary>
    /// <param name="packs">The packs' entry types.</param>
    /// <param name="settings">Configuration on top of the harness's own.</param>
    /// <param name="initialize">Whether to run <c>init</c>.</param>
    /// <returns>The started harness.</returns>
    public static Task<KernelHarness> StartAsync(IEnumerable<IOpsPack>? packs = null, IDictionary<string, string?>? settings = null, bool initialize = true) =>
        StartCoreAsync([.. (packs ?? []).Select(p => (p.GetType().Name.Replace("Pack", string.Empty, StringComparison.Ordinal).ToLowerInvariant(), p))], settings, initialize);

    private static async Task<KernelHarness> StartCoreAsync(IReadOnlyList<(string PackId, IOpsPack Pack)> packs, IDictionary<string, string?>? settings, bool initialize)
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
        var ops = services.AddOps(configuration).UseTimeProvider(time).UseSqlite();
        foreach (var provider in OtherStorageProviders())
        {
            ops.UseStorage(provider);
        }

        services.Configure<KernelOptions>(o => o.ContentRoot = directory);
        foreach (var (id, pack, exports, dependsOn) in PackDeclarations.InLoadOrder(packs))
        {
            ops.AddPack(pack, new OpsPackInfo(id, "1.0.0", string.Empty, string.Empty, exports, dependsOn));
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
    /// Every other storage provider the test project references (an <c>Ops.Storage.*</c> assembly among the application's
    /// dependencies), so a test that routes to PostgreSQL or SQL Server needs only the provider package; SQLite is always there.
    /// </summary>
    private static IEnumerable<IStorageProvider> OtherStorageProviders()
    {
        var context = Microsoft.Extensions.DependencyModel.DependencyContext.Default;
        if (context is null)
        {
            yield break;
        }

        foreach (var library in context.RuntimeLibraries.Where(l => l.Name.StartsWith("Ops.Storage.", StringComparison.Ordinal) && l.Name != "Ops.Storage.Sqlite"))
        {
            foreach (var type in System.Reflection.Assembly.Load(new System.Reflection.AssemblyName(library.Name)).GetExportedTypes().Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IStorageProvider).IsAssignableFrom(t)))
            {
                yield return (IStorageProvider)Activator.CreateInstance(type)!;
            }
        }
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

    /// <summary>A command envelope as a client sends it: type, target_ref, payload (snake_case JSON) and idempotency key; the kernel fills the rest.</summary>
    /// <param name="commandType">The command type.</param>
    /// <param name="targetRef">The target_ref, or <see langword="null"/> when the payload names the object.</param>
    /// <param name="payload">The payload record (or any object of the same JSON shape).</param>
    /// <param name="idempotencyKey">The client's idempotency key, if any.</param>
    /// <returns>The envelope.</returns>
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

    /// <summary>
    /// Runs a pack's query as <paramref name="caller"/> (default: admin) the way <c>GET /v1/queries/&lt;pack_id&gt;/&lt;route&gt;</c>
    /// does: projections caught up first, the caller's READ capability on the query checked, reads scoped to its tenant.
    /// </summary>
    /// <typeparam name="TResult">The query's result type.</typeparam>
    /// <param name="packId">The pack's id.</param>
    /// <param name="route">The query's route.</param>
    /// <param name="arguments">The query record (bound from snake_case JSON as the API binds the query string).</param>
    /// <param name="caller">Who asks; admin when omitted.</param>
    /// <returns>The handler's result.</returns>
    /// <exception cref="InvalidOperationException">No loaded pack has that query.</exception>
    /// <exception cref="Ops.Core.Errors.OpsException">The kernel refused the query, for example <c>capability_denied</c>.</exception>
    public async Task<TResult?> QueryAsync<TResult>(string packId, string route, object arguments, CallerContext? caller = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        if (!Kernel.Registry.Queries.TryGetValue(packId + "/" + route, out var query))
        {
            throw new InvalidOperationException($"no loaded pack '{packId}' has a query with route '{route}'.");
        }

        var answer = await Kernel.Queries.RunAsync(query, JsonSerializer.SerializeToElement(arguments, arguments.GetType(), OpsJson.Options), caller ?? AdminCaller, CancellationToken.None);
        return (TResult?)answer.Result;
    }

    /// <summary>The events of one of a pack's streams, oldest first, as the log stores them.</summary>
    /// <param name="packId">The pack's id.</param>
    /// <param name="streamKey">The pack-local stream key (for example the command's target_ref).</param>
    /// <returns>The events; empty when the stream does not exist.</returns>
    public async Task<IReadOnlyList<EventEnvelope>> ReadStreamAsync(string packId, string streamKey)
    {
        var events = await Kernel.EventLog.ReadStreamAsync($"pack.{packId}:{streamKey}", CancellationToken.None);
        return [.. events.Select(e => e.Envelope)];
    }

    /// <summary>Stops the kernel, disposes the signing keys and deletes the folder.</summary>
    /// <returns>A task that completes when it is done.</returns>
    public async ValueTask DisposeAsync()
    {
        foreach (var key in _keys.Values)
        {
            key.Dispose();
        }

        await Kernel.DisposeAsync();
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
