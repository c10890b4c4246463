using Ops.Core.Errors;
using Ops.Verification;

namespace Ops.Host.Tests;

/// <summary>
/// Issue 16 item 5 (constitution §4), the dependent-pack scenario of the issue: pack 'lender' exports a contract module
/// whose event another installed pack ('borrower') depends on. An upgrade of 'lender' that renames the event's field is
/// refused, naming the field, the event type and the dependent; a compatible change (a new optional field) installs; a
/// registry that does not describe the shipped assembly is refused at the checks.
/// </summary>
public sealed class ContractEvolutionTests
{
    private const string Contract = "Ops.Packs.Lender.Contracts";
    private const string EventType = "pack.lender.loans.Happened";

    [Fact]
    public async Task Upgrade_ThatRenamesAFieldADependentReads_IsRefused_NamingFieldEventAndDependent()
    {
        await using var host = await PackHost.StartAsync();
        Assert.True(await host.InstallAsync(Lender(host, "v1", "public sealed record Happened(string Value);", """{"value":{"type":"string"}}""", ["value"])), host.Output.ToString());
        Assert.True(await host.InstallAsync(Borrower(host)), host.Output.ToString());
        var before = await host.HeadAsync();

        var renamed = Lender(host, "v2", "public sealed record Happened(string Amount);", """{"amount":{"type":"string"}}""", ["amount"]);
        Assert.True(new PackVerifier(PackSigningOptions.None).Verify(renamed).IsAccepted, "the upgrade passes the checks: the contract rule is what refuses it");
        Assert.False(await host.InstallAsync(renamed, upgrade: true));

        var refusal = await host.AssertOnlyASafetyEventAfterAsync(before, ReasonCodes.PackContractBreaking);
        Assert.Contains($"{EventType} field 'value': the field was removed (or renamed)", refusal.Reason, StringComparison.Ordinal);
        Assert.Contains("installed pack(s) borrower depend on it", refusal.Reason, StringComparison.Ordinal);
        Assert.Equal("1.0.0", host.Kernel.Writer.CommittedCore.Packs["lender"].Version);
    }

    [Fact]
    public async Task Upgrade_ThatAddsAnOptionalField_Installs_WithTheDependentInstalled()
    {
        await using var host = await PackHost.StartAsync();
        Assert.True(await host.InstallAsync(Lender(host, "v1", "public sealed record Happened(string Value);", """{"value":{"type":"string"}}""", ["value"])), host.Output.ToString());
        Assert.True(await host.InstallAsync(Borrower(host)), host.Output.ToString());

        var widened = Lender(host, "v2", "public sealed record Happened(string Value, string? Note = null);", """{"value":{"type":"string"},"note":{"type":["string","null"],"default":null}}""", ["value"], version: "1.1.0");

        Assert.True(await host.InstallAsync(widened, upgrade: true), host.Output.ToString());
        Assert.Equal("1.1.0", host.Kernel.Writer.CommittedCore.Packs["lender"].Version);
    }

    [Fact]
    public void ARegistryThatDoesNotDescribeTheAssembly_IsRefusedAtTheChecks()
    {
        var work = Directory.CreateTempSubdirectory("ops-registry-").FullName;
        try
        {
            // The code renamed the field; the registry still claims the old one, which would hide the break from the diff.
            var lying = Lender(work, "lying", "public sealed record Happened(string Amount);", """{"value":{"type":"string"}}""", ["value"]);

            var verification = new PackVerifier(PackSigningOptions.None).Verify(lying);

            var finding = Assert.Single(verification.Findings);
            Assert.Equal(PackRuleIds.ContractRegistry, finding.Rule);
            Assert.Contains("has [amount]", finding.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string Lender(PackHost host, string name, string record, string properties, string[] required, string version = "1.0.0") =>
        Lender(host.Work, name, record, properties, required, version);

    private static string Lender(string work, string name, string record, string properties, string[] required, string version = "1.0.0")
    {
        var folder = PackFolders.Write(
            Path.Combine(work, "lender-" + name), "lender", "Ops.Packs.Lender.dll", "Ops.Packs.Lender.LenderPack",
            new Dictionary<string, byte[]>
            {
                ["Ops.Packs.Lender.dll"] = PackFolders.EmptyEntry("Lender"),
                [Contract + ".dll"] = PackFolders.Compile(Contract, $"namespace {Contract} {{ {record} }}"),
            },
            exports: [Contract],
            version: version);
        File.WriteAllText(
            Path.Combine(folder, Contract + ".contract-registry.json"),
            "{\"contract\":\"" + Contract + "\",\"version\":\"" + version + "\",\"types\":{\"" + EventType + "\":{\"kind\":\"event\",\"clr_type\":\"" + Contract + ".Happened\",\"payload_schema_version\":1,"
            + "\"schema\":{\"type\":\"object\",\"properties\":" + properties + ",\"required\":[" + string.Join(",", required.Select(r => $"\"{r}\"")) + "],\"additionalProperties\":false}}}}");
        return folder;
    }

    private static string Borrower(PackHost host)
    {
        var contractImage = File.ReadAllBytes(Path.Combine(host.Work, "lender-v1", Contract + ".dll"));
        return PackFolders.Write(
            Path.Combine(host.Work, "borrower"), "borrower", "Ops.Packs.Borrower.dll", "Ops.Packs.Borrower.BorrowerPack",
            new Dictionary<string, byte[]> { ["Ops.Packs.Borrower.dll"] = PackFolders.EmptyEntry("Borrower", $"public {Contract}.Happened? Last {{ get; set; }}", contractImage) },
            dependsOn: [Contract]);
    }
}
