using System.Security.Cryptography;
using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Packs.Install;
using Ops.Verification;

namespace Ops.Host.Tests;

/// <summary>
/// Verified pack installs (issue 7, item 6), from the attacker's side: each attack is refused with a reason,
/// appends one safety event, and writes nothing else; the loader loads only what the log records as installed.
/// </summary>
public sealed class PackInstallTests
{
    [Fact]
    [Trait("Pack", "notes")]
    public async Task Install_RecordsPackInstalled_ConsentedByTheAdmin_AndLoadsAtTheNextStart()
    {
        await using var host = await PackHost.StartAsync();
        var folder = host.CopyOfFixture("Ops.Packs.Notes");
        var before = await host.HeadAsync();

        Assert.True(await host.InstallAsync(folder), host.Output.ToString());

        var appended = await host.EventsAfterAsync(before);
        Assert.Equal([PackInstallNames.PackInstalled, "core.ConsentRecorded", "core.MutationCommitted"], appended.Select(e => e.Envelope.EventType));
        var installed = appended[0].Envelope.PayloadAs<PackInstalled>();
        Assert.Equal(("notes", "1.0.0", PackSnapshot.Read(folder).ContentHash, folder), (installed.PackId, installed.Version, installed.ContentHash, installed.Source));
        Assert.Equal(["Ops.Packs.Notes.Contracts"], installed.Exports);
        Assert.Null(installed.PublisherKeyId);
        Assert.Equal("admin", appended[0].Envelope.Actor.Id);
        Assert.DoesNotContain(host.Kernel.Registry.Packs, p => p.PackId == "notes");

        await host.ReopenAsync();

        var loaded = Assert.Single(host.Kernel.Registry.Packs, p => p.PackId == "notes");
        Assert.True(loaded.Installed);
        Assert.Equal(installed.ContentHash, loaded.ContentHash);
        Assert.Contains("pack.notes.notes.CreateNote", host.Kernel.Registry.Commands.Keys);
    }

    [Fact]

    [Trait("Pack", "notes")]
    public async Task Load_FoldersThatAreNotInstalled_AreNotLoaded_WhateverTheyClaim()
    {
        await using var host = await PackHost.StartAsync();
        var bundled = Path.Combine(host.Work, "bundled");
        host.CopyOfFixture("Ops.Packs.Impostor", bundled);
        host.CopyOfFixture("Ops.Packs.Notes", bundled);

        await host.ReopenAsync();

        Assert.Equal(["core"], host.Kernel.Registry.Packs.Select(p => p.PackId));
        Assert.Equal(2, host.Loader.Refused.Count(r => r.Code == ReasonCodes.PackNotInstalled && r.Reason.Contains("packs install", StringComparison.Ordinal)));
    }

    [Fact]

    [Trait("Pack", "notes")]
    public async Task Impostor_ClaimingTheNotesId_FromAFolderThatSortsFirst_IsRefused_AndTheRealNotesLoads()
    {
        await using var host = await PackHost.StartAsync();
        var bundled = Path.Combine(host.Work, "bundled");
        var impostor = host.CopyOfFixture("Ops.Packs.Impostor", bundled);
        var notes = host.CopyOfFixture("Ops.Packs.Notes", bundled);
        Assert.True(string.CompareOrdinal(impostor, notes) < 0);
        Assert.True(await host.InstallAsync(notes));
        var before = await host.HeadAsync();

        Assert.False(await host.InstallAsync(impostor));

        var safety = await host.AssertOnlyASafetyEventAfterAsync(before, ReasonCodes.PackConflict);
        Assert.Contains("already installed", safety.Reason, StringComparison.Ordinal);
        Assert.Contains("--upgrade", host.Output.ToString(), StringComparison.Ordinal);
        await host.ReopenAsync();
        var loaded = Assert.Single(host.Kernel.Registry.Packs, p => p.PackId == "notes");
        Assert.Equal(notes, loaded.Directory);
        Assert.DoesNotContain("pack.notes.notes.Forged", host.Kernel.Registry.Events.Keys);
    }

    [Fact]

    [Trait("Pack", "notes")]
    public async Task FolderEditedAfterInstall_IsNotLoaded_AndTheLoaderSaysWhy()
    {
        await using var host = await PackHost.StartAsync();
        var folder = host.CopyOfFixture("Ops.Packs.Notes");
        Assert.True(await host.InstallAsync(folder));
        await File.AppendAllTextAsync(Path.Combine(folder, "Ops.Packs.Notes.dll"), "patched");

        await host.ReopenAsync();

        Assert.DoesNotContain(host.Kernel.Registry.Packs, p => p.PackId == "notes");
        Assert.DoesNotContain("pack.notes.notes.CreateNote", host.Kernel.Registry.Commands.Keys);
        var refused = Assert.Single(host.Loader.Refused);
        Assert.Equal(("notes", ReasonCodes.PackHashMismatch), (refused.PackId, refused.Code));
        Assert.Contains("no longer has the content that was installed", refused.Reason, StringComparison.Ordinal);
        Assert.Contains("--upgrade", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PackUsingSqliteAndTheEnvironment_IsRefusedAtInstall_NamingTypesAndDependencies()
    {
        await using var host = await PackHost.StartAsync();
        var before = await host.HeadAsync();

        Assert.False(await host.InstallAsync(host.CopyOfFixture("Ops.Packs.Sneaky")));

        var safety = await host.AssertOnlyASafetyEventAfterAsync(before, ReasonCodes.PackRefused);
        var output = host.Output.ToString();
        Assert.Contains("[no-data-access] Ops.Packs.Sneaky.dll: Ops.Packs.Sneaky.DocumentEditor.Edit uses Microsoft.Data.Sqlite.SqliteCommand, Microsoft.Data.Sqlite.SqliteConnection", output, StringComparison.Ordinal);
        Assert.Contains("[no-environment] Ops.Packs.Sneaky.dll: Ops.Packs.Sneaky.TokenReader.Token uses System.Environment.GetEnvironmentVariable", output, StringComparison.Ordinal);
        Assert.Contains("Ops.Packs.Sneaky.DocumentEditor", safety.Reason, StringComparison.Ordinal);
    }

    [Fact]

    [Trait("Pack", "notes")]
    public async Task UndeclaredContractReference_IsRefusedAtInstall_WithAClearMessage()
    {
        await using var host = await PackHost.StartAsync();
        Assert.True(await host.InstallAsync(host.CopyOfFixture("Ops.Packs.Notes")));
        var before = await host.HeadAsync();

        Assert.False(await host.InstallAsync(host.CopyOfFixture("Ops.Packs.Undeclared")));

        await host.AssertOnlyASafetyEventAfterAsync(before, ReasonCodes.PackRefused);
        Assert.Contains("[declared-contracts] Ops.Packs.Undeclared.dll: Ops.Packs.Undeclared references contract module Ops.Packs.Notes.Contracts, which pack 'undeclared' neither exports nor lists in depends_on: add \"Ops.Packs.Notes.Contracts\" to depends_on", host.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DependsOnAContractNoInstalledPackExports_IsRefusedAtInstall()
    {
        await using var host = await PackHost.StartAsync();
        var before = await host.HeadAsync();

        Assert.False(await host.InstallAsync(host.CopyOfFixture("Ops.Packs.Dependent")));

        var safety = await host.AssertOnlyASafetyEventAfterAsync(before, ReasonCodes.PackDependencyMissing);
        Assert.Contains("Ops.Packs.Absent.Contracts", safety.Reason, StringComparison.Ordinal);
    }

    [Fact]

    [Trait("Pack", "notes")]
    public async Task ProjectionOnAnotherPacksEvent_WithoutDependsOn_IsRefusedAtLoad_AndLoadsOnceDeclared()
    {
        await using var host = await PackHost.StartAsync();
        Assert.True(await host.InstallAsync(host.CopyOfFixture("Ops.Packs.Notes")));
        Assert.True(await host.InstallAsync(host.CopyOfFixture("Ops.Packs.Snooper")));

        await host.ReopenAsync();

        var refused = Assert.Single(host.Loader.Refused);
        Assert.Equal("snooper", refused.PackId);
        Assert.Contains("projection pack.snooper.notes.Seen subscribes to pack.notes.notes.NoteCreated of 'notes' without depending on its contract module: add Ops.Packs.Notes.Contracts to depends_on", refused.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("pack.snooper.notes.Seen", host.Kernel.Registry.Projections.Keys);

        var declared = host.CopyOfFixture("Ops.Packs.Snooper", Path.Combine(host.Work, "declared"));
        PackHost.EditManifest(declared, m => m["depends_on"] = JsonSerializer.SerializeToElement(new[] { "Ops.Packs.Notes.Contracts" }));
        Assert.True(await host.InstallAsync(declared, upgrade: true), host.Output.ToString());
        await host.ReopenAsync();

        Assert.Empty(host.Loader.Refused);
        Assert.Contains("pack.snooper.notes.Seen", host.Kernel.Registry.Projections.Keys);
    }

    [Fact]

    [Trait("Pack", "notes")]
    public async Task SameIdWithOtherContent_IsRefusedWithoutUpgrade_AndAcceptedWithIt()
    {
        await using var host = await PackHost.StartAsync();
        var first = host.CopyOfFixture("Ops.Packs.Notes");
        Assert.True(await host.InstallAsync(first));
        var second = host.CopyOfFixture("Ops.Packs.Notes", Path.Combine(host.Work, "v101"));
        PackHost.EditManifest(second, m => m["version"] = JsonSerializer.SerializeToElement("1.0.1"));
        var before = await host.HeadAsync();

        Assert.False(await host.InstallAsync(second));
        await host.AssertOnlyASafetyEventAfterAsync(before, ReasonCodes.PackConflict);

        Assert.True(await host.InstallAsync(second, upgrade: true));
        var upgraded = host.Kernel.Writer.CommittedCore.Packs["notes"];
        Assert.Equal(("1.0.1", PackSnapshot.Read(first).ContentHash), (upgraded.Version, upgraded.PreviousContentHash));
    }

    [Fact]

    [Trait("Pack", "notes")]
    public async Task Remove_RefusesThePacksCommandsAtOnce_AndItIsNotLoadedFromTheNextStart()
    {
        await using var host = await PackHost.StartAsync();
        Assert.True(await host.InstallAsync(host.CopyOfFixture("Ops.Packs.Notes")));
        await host.ReopenAsync();

        var removed = await host.SendAsync(PackInstallNames.RemovePack, PackInstallNames.TargetOf("notes"), new RemovePack("notes", "test"));
        Assert.True(removed.IsAccepted, removed.Reason);
        var create = await host.SendAsync("pack.notes.notes.CreateNote", "note-new", new { title = "x", content = "y", content_type = "text", tags = Array.Empty<string>() });

        Assert.Equal(ReasonCodes.PackNotInstalled, create.ReasonCode);
        await host.ReopenAsync();
        Assert.DoesNotContain(host.Kernel.Registry.Packs, p => p.PackId == "notes");
        Assert.Empty(host.Loader.Refused);
    }

    [Fact]

    [Trait("Pack", "notes")]
    public async Task SignaturesRequired_UnsignedUntrustedTamperedAndForged_AreRefused_TrustedIsInstalled()
    {
        using var publisher = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await using var host = await PackHost.StartAsync(new Dictionary<string, string?>
        {
            ["Ops:PackSigning:Required"] = "true",
            ["Ops:PackSigning:TrustedPublishers:acme"] = Convert.ToBase64String(publisher.ExportSubjectPublicKeyInfo()),
        });

        async Task Refused(string folder, string expected)
        {
            var before = await host.HeadAsync();
            Assert.False(await host.InstallAsync(folder));
            var safety = await host.AssertOnlyASafetyEventAfterAsync(before, ReasonCodes.PackSignatureInvalid);
            Assert.Contains(expected, safety.Reason, StringComparison.Ordinal);
        }

        await Refused(host.CopyOfFixture("Ops.Packs.Notes", Path.Combine(host.Work, "unsigned")), "requires signed packs");

        var untrusted = host.CopyOfFixture("Ops.Packs.Notes", Path.Combine(host.Work, "untrusted"));
        PackSignature.Sign(untrusted, stranger);
        await RefusedAfterFlush(untrusted, "not a trusted publisher");

        var tampered = host.CopyOfFixture("Ops.Packs.Notes", Path.Combine(host.Work, "tampered"));
        PackSignature.Sign(tampered, publisher);
        await File.AppendAllTextAsync(Path.Combine(tampered, "pack.json"), " ");
        await RefusedAfterFlush(tampered, "changed after it was signed");

        var forged = host.CopyOfFixture("Ops.Packs.Notes", Path.Combine(host.Work, "forged"));
        var real = PackSignature.Sign(forged, publisher);
        var signature = Convert.FromBase64String(real.Signature);
        signature[^1] ^= 1;
        await File.WriteAllTextAsync(Path.Combine(forged, PackSignature.FileName), JsonSerializer.Serialize(new { key_id = real.KeyId, content_hash = real.ContentHash, signature = Convert.ToBase64String(signature) }));
        await RefusedAfterFlush(forged, "does not verify");

        var signed = host.CopyOfFixture("Ops.Packs.Notes", Path.Combine(host.Work, "signed"));
        var file = PackSignature.Sign(signed, publisher);
        Assert.True(await host.InstallAsync(signed), host.Output.ToString());
        Assert.Equal(file.KeyId, host.Kernel.Writer.CommittedCore.Packs["notes"].PublisherKeyId);
        // pack.sig is outside the content hash: the signed folder has the content of an unsigned copy.
        Assert.Equal(PackSnapshot.Read(signed).ContentHash, PackSnapshot.Read(host.CopyOfFixture("Ops.Packs.Notes", Path.Combine(host.Work, "again"))).ContentHash);

        // Refusals of one actor for one reason are coalesced per window; flushing closes the window so each one shows.
        async Task RefusedAfterFlush(string folder, string expected)
        {
            await host.Kernel.Safety.FlushAsync(all: true, CancellationToken.None);
            await Refused(folder, expected);
        }
    }
}
