using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.Loader;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Identity;
using Ops.Core.Packs.Install;
using Ops.Host.Packs;
using Ops.Verification;

namespace Ops.Host.Tests;

/// <summary>
/// Issue 16 item 4, from the attacker's side: a contract module is bound to the first pack the log records as exporting
/// it. A second pack exporting the same name is refused at install naming the exporter; if the log holds a second
/// exporter all the same (a record from before the check), the loader takes the contract only from the first one's
/// recorded file and refuses the other; a pack refused at load shares no contract, and its dependents are refused.
/// </summary>
public sealed class PackContractBindingTests
{
    private const string NotesContract = "Ops.Packs.Notes.Contracts";

    [Fact]
    [Trait("Pack", "notes")]
    public async Task Install_APackExportingTheNotesContractName_IsRefused_NamingTheExporter()
    {
        await using var host = await PackHost.StartAsync();
        Assert.True(await host.InstallAsync(host.CopyOfFixture("Ops.Packs.Notes")), host.Output.ToString());
        var claimant = Claimant(Path.Combine(host.Work, "claimant"));
        Assert.True(new PackVerifier(PackSigningOptions.None).Verify(claimant).IsAccepted, "the claimant must pass the checks, so the binding is what refuses it");
        var before = await host.HeadAsync();

        Assert.False(await host.InstallAsync(claimant));

        var safety = await host.AssertOnlyASafetyEventAfterAsync(before, ReasonCodes.PackContractTaken);
        Assert.Contains($"exports contract module {NotesContract}, which installed pack 'notes' already exports", safety.Reason, StringComparison.Ordinal);
        Assert.Contains("pack_contract_taken", host.Output.ToString(), StringComparison.Ordinal);
        Assert.Equal("notes", host.Kernel.Writer.CommittedCore.Contracts[NotesContract].ExporterPackId);
    }

    [Fact]
    [Trait("Pack", "notes")]
    public async Task Install_RecordsEveryFile_AndEachContractWithItsVersionHashAndExporter()
    {
        await using var host = await PackHost.StartAsync();
        var folder = host.CopyOfFixture("Ops.Packs.Notes");

        Assert.True(await host.InstallAsync(folder), host.Output.ToString());

        var installed = host.Kernel.Writer.CommittedCore.Packs["notes"];
        var snapshot = PackSnapshot.Read(folder);
        Assert.Equal(snapshot.FileRecords, installed.Files);
        Assert.DoesNotContain(installed.Files!, f => f.Path == PackSignature.FileName);
        var contract = Assert.Single(installed.Contracts!);
        var file = Path.Combine(folder, NotesContract + ".dll");
        Assert.Equal((NotesContract, NotesContract + ".dll", ContentHash.Of(File.ReadAllBytes(file))), (contract.Name, contract.Path, contract.Sha256));
        Assert.Equal(AssemblyName.GetAssemblyName(file).Version!.ToString(), contract.Version);
        Assert.Equal(new ContractBinding(NotesContract, "notes", contract.Version, contract.Sha256, contract.Path), host.Kernel.Writer.CommittedCore.Contracts[NotesContract]);
    }

    [Fact]
    public async Task InstallPack_WithFilesThatDoNotHashToItsContentHash_IsRejected()
    {
        await using var host = await PackHost.StartAsync();
        var folder = Claimant(Path.Combine(host.Work, "claimant"));
        var verification = new PackVerifier(PackSigningOptions.None).Verify(folder);
        var (files, contracts) = verification.InstallRecords();
        var forged = files.Select(f => f with { Sha256 = new string('0', 64) }).ToList();
        var command = new InstallPack("claimant", "1.0.0", verification.Snapshot!.ContentHash, [NotesContract], [], folder, null) { Files = forged, Contracts = contracts };

        var outcome = await host.SendAsync(PackInstallNames.InstallPack, PackInstallNames.TargetOf("claimant"), command);

        Assert.Equal(ReasonCodes.InvalidPayload, outcome.ReasonCode);
        Assert.Contains("files do not hash to content_hash", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Fold_TwoExportersInTheLog_TheFirstRecordedStaysBound_UntilItIsRemoved_AndOldRecordsStillRead()
    {
        var first = Installed("notes", NotesContract);
        var second = Installed("claimant", NotesContract);

        var state = Fold(first, second);

        Assert.Equal("notes", state.Contracts[NotesContract].ExporterPackId);
        Assert.Equal("claimant", Fold(second, first).Contracts[NotesContract].ExporterPackId);
        // Removing the exporter releases the name; the second record does not take it over: it must be installed again.
        var removed = InstalledPacks.Apply(state, Envelope(PackInstallNames.PackRemoved, new PackRemoved("notes", first.ContentHash, "test")));
        Assert.False(removed.Contracts.ContainsKey(NotesContract));

        // A record written before the file list: no files, no contracts, and the binding has no hash to check.
        var old = JsonSerializer.Deserialize<PackInstalled>(
            """{"pack_id":"notes","version":"1.0.0","content_hash":"0000000000000000000000000000000000000000000000000000000000000000","exports":["Ops.Packs.Notes.Contracts"],"depends_on":[],"source":"/packs/notes","publisher_key_id":null,"previous_content_hash":null}""",
            OpsJson.Options)!;
        Assert.Null(old.Files);
        Assert.Equal(new ContractBinding(NotesContract, "notes", null, null, null), Fold(old).Contracts[NotesContract]);
    }

    [Fact]
    [Trait("Pack", "notes")]
    public void Load_TwoExportersInTheLog_OnlyTheFirstRecordedExportersFileIsShared_TheOtherIsRefused()
    {
        var work = Directory.CreateTempSubdirectory("ops-two-exporters-").FullName;
        try
        {
            var notes = Path.Combine(work, "notes");
            CopyFolder(Path.Combine(PackHost.FixturePacks, "Ops.Packs.Notes"), notes);
            var claimant = Claimant(Path.Combine(work, "claimant"));
            var verifier = new PackVerifier(PackSigningOptions.None);
            var state = Fold(Recorded("notes", verifier.Verify(notes)), Recorded("claimant", verifier.Verify(claimant)));
            var loader = new PackLoader(new ServiceCollection().AddOps(new ConfigurationBuilder().Build()), NullLoggerFactory.Instance, verifier);

            loader.LoadInstalled(new InstalledPackSet(state.Packs, state.Contracts), null, PackCode.Load);

            var refused = Assert.Single(loader.Refused);
            Assert.Equal(("claimant", ReasonCodes.PackContractTaken), (refused.PackId, refused.Code));
            Assert.Contains($"contract module {NotesContract}, which is bound to pack 'notes'", refused.Reason, StringComparison.Ordinal);
            Assert.DoesNotContain(loader.Contexts, c => c.Name == "pack:claimant");
            var context = Assert.Single(loader.Contexts, c => c.Name == "pack:notes");
            var shared = context.LoadFromAssemblyName(new System.Reflection.AssemblyName(NotesContract));
            Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(shared));
            Assert.Equal(ModuleVersionId(Path.Combine(notes, NotesContract + ".dll")), shared.ManifestModule.ModuleVersionId);
            Assert.NotEqual(ModuleVersionId(Path.Combine(claimant, NotesContract + ".dll")), shared.ManifestModule.ModuleVersionId);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task Load_AnExporterRefusedAtLoad_SharesNoContract_AndItsDependentIsRefusedWithDependencyMissing()
    {
        const string contract = "Ops.Packs.Lender.Contracts";
        await using var host = await PackHost.StartAsync();
        var contractImage = PackFolders.Contract(contract);
        // The entry type the manifest names does not exist: the pack passes every check and fails only when it loads.
        var lender = PackFolders.Write(
            Path.Combine(host.Work, "lender"), "lender", "Ops.Packs.Lender.dll", "Ops.Packs.Lender.Nowhere",
            new Dictionary<string, byte[]> { ["Ops.Packs.Lender.dll"] = PackFolders.EmptyEntry("Lender"), [contract + ".dll"] = contractImage },
            exports: [contract]);
        var borrower = PackFolders.Write(
            Path.Combine(host.Work, "borrower"), "borrower", "Ops.Packs.Borrower.dll", "Ops.Packs.Borrower.BorrowerPack",
            new Dictionary<string, byte[]> { ["Ops.Packs.Borrower.dll"] = PackFolders.EmptyEntry("Borrower", $"public {contract}.Happened? Last {{ get; set; }}", contractImage) },
            dependsOn: [contract]);
        Assert.True(await host.InstallAsync(lender), host.Output.ToString());
        Assert.True(await host.InstallAsync(borrower), host.Output.ToString());

        await host.ReopenAsync();

        Assert.Equal(("lender", ReasonCodes.PackRefused), host.Loader.Refused.Where(r => r.PackId == "lender").Select(r => (r.PackId, r.Code)).Single());
        var dependent = Assert.Single(host.Loader.Refused, r => r.PackId == "borrower");
        Assert.Equal(ReasonCodes.PackDependencyMissing, dependent.Code);
        Assert.Contains($"{contract} of 'lender'", dependent.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(AssemblyLoadContext.Default.Assemblies, a => a.GetName().Name == contract);
        Assert.DoesNotContain(host.Loader.Contexts, c => c.Name == "pack:borrower");
    }

    /// <summary>A pack 'claimant' that passes every check and exports its own build of the notes pack's contract module.</summary>
    internal static string Claimant(string folder) => PackFolders.Write(
        folder, "claimant", "Ops.Packs.Claimant.dll", "Ops.Packs.Claimant.ClaimantPack",
        new Dictionary<string, byte[]> { ["Ops.Packs.Claimant.dll"] = PackFolders.EmptyEntry("Claimant"), [NotesContract + ".dll"] = PackFolders.Contract(NotesContract, "NoteCreated") },
        exports: [NotesContract]);

    private static PackInstalled Installed(string packId, params string[] exports) =>
        new(packId, "1.0.0", new string('a', 64), exports, [], "/packs/" + packId, null, null);

    private static PackInstalled Recorded(string packId, PackVerification verification)
    {
        Assert.True(verification.IsAccepted, verification.Describe());
        var (files, contracts) = verification.InstallRecords();
        var m = verification.Manifest!;
        return new PackInstalled(packId, m.Version, verification.Snapshot!.ContentHash, m.Exports, m.DependsOn, verification.Directory, null, null) { Files = files, Contracts = contracts };
    }

    private static CoreState Fold(params PackInstalled[] records) =>
        records.Aggregate(CoreState.Empty, (state, record) => InstalledPacks.Apply(state, Envelope(PackInstallNames.PackInstalled, record)));

    private static EventEnvelope Envelope(string type, object payload)
    {
        var element = JsonSerializer.SerializeToElement(payload, OpsJson.Options);
        var at = DateTimeOffset.UnixEpoch;
        return new EventEnvelope
        {
            EventId = Guid.NewGuid().ToString("N"),
            EventType = type,
            PayloadSchemaVersion = 1,
            Payload = element,
            PayloadHash = ContentHash.OfJson(element),
            OccurredAt = at,
            IngestedAt = at,
            CorrelationId = "c",
            SourceRef = "test",
            Actor = new ActorRef("admin", ActorKind.Human),
            Scope = new IdentityScope("acme", "system", null, "test"),
            StreamId = "core:pack-test",
            StreamVersion = 0,
        };
    }

    private static Guid ModuleVersionId(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var metadata = pe.GetMetadataReader();
        return metadata.GetGuid(metadata.GetModuleDefinition().Mvid);
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
