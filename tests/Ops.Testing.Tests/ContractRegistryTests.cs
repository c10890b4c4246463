using System.Text.Json.Nodes;
using Ops.TestKit.Echo;
using Ops.TestKit.Echo.Contracts;

namespace Ops.Testing.Tests;

/// <summary>The contract diff on the echo fixture's real registry, with one planted change at a time.</summary>
public sealed class ContractRegistryTests : IDisposable
{
    private const string Contract = "Ops.TestKit.Echo.Contracts";
    private readonly string _folder = Directory.CreateTempSubdirectory("ops-contracts-").FullName;

    private Dictionary<string, string> Folders => new() { [Contract] = _folder };

    private static JsonObject Current() => ContractRegistry.Export(new EchoPack(), EchoNames.PackId)[Contract];

    private static JsonObject Schema(JsonObject registry, string type) => (JsonObject)registry["types"]![type]!["schema"]!;

    private static JsonObject Properties(JsonObject registry, string type) => (JsonObject)Schema(registry, type)["properties"]!;

    [Fact]
    public void Export_EchoPack_HasEveryCommandEventAndQueryOfItsContractModule()
    {
        var registry = Current();

        Assert.Equal(Contract, registry["contract"]!.GetValue<string>());
        Assert.Equal("1.0.0", registry["version"]!.GetValue<string>());
        Assert.Equal([EchoNames.GetEcho, EchoNames.Shout, EchoNames.Shouted], ((JsonObject)registry["types"]!).Select(t => t.Key));
        Assert.Equal(["command", "event", "query"], new[] { EchoNames.Shout, EchoNames.Shouted, EchoNames.GetEcho }.Select(t => registry["types"]![t]!["kind"]!.GetValue<string>()));
        Assert.Equal(["echo_id", "text"], ((JsonArray)Schema(registry, EchoNames.Shout)["required"]!).Select(r => r!.GetValue<string>()));
        Assert.Equal("date-time", Properties(registry, EchoNames.Shouted)["at"]!["format"]!.GetValue<string>());
        Assert.Equal("get", registry["types"]![EchoNames.GetEcho]!["route"]!.GetValue<string>());
        Assert.NotNull(registry["types"]![EchoNames.GetEcho]!["result_schema"]!["properties"]!["text"]);
    }

    [Fact]
    public void Compare_SameRegistry_FindsNothing() => Assert.Empty(ContractRegistry.Compare(Current(), Current()));

    [Fact]
    public void Compare_FieldRemoved_IsBreakingAndNamesTypeAndField()
    {
        var current = Current();
        Properties(current, EchoNames.Shouted).Remove("text");

        var change = Assert.Single(ContractRegistry.Compare(Current(), current));

        Assert.Equal(new ContractChange(EchoNames.Shouted, "text", "the field was removed (or renamed)", true), change);
        Assert.Equal("BREAKING pack.echo.echoes.Shouted field 'text': the field was removed (or renamed)", change.ToString());
    }

    [Fact]
    public void Compare_NestedFieldTypeChanged_IsBreaking()
    {
        var current = Current();
        Properties(current, EchoNames.Shouted)["source"]!["properties"]!["actor_id"] = new JsonObject { ["type"] = "integer" };

        Assert.Equal(new ContractChange(EchoNames.Shouted, "source.actor_id", "type changed from string to integer", true), Assert.Single(ContractRegistry.Compare(Current(), current)));
    }

    [Fact]
    public void Compare_NullableFieldNarrowedToNonNullable_IsBreaking_WidenedIsCompatible()
    {
        var narrowed = Current();
        Properties(narrowed, EchoNames.Shout)["tags"]!["type"] = "array";
        var widened = Current();
        Properties(widened, EchoNames.Shout)["text"]!["type"] = new JsonArray("string", "null");

        Assert.Equal(new ContractChange(EchoNames.Shout, "tags", "type changed from array|null to array", true), Assert.Single(ContractRegistry.Compare(Current(), narrowed)));
        Assert.Equal(new ContractChange(EchoNames.Shout, "text", "type widened from string to null|string", false), Assert.Single(ContractRegistry.Compare(Current(), widened)));
    }

    [Fact]
    public void Compare_NewRequiredField_IsBreaking_NewOptionalField_IsCompatible()
    {
        var current = Current();
        Properties(current, EchoNames.Shouted).Add("reason", new JsonObject { ["type"] = "string" });
        ((JsonArray)Schema(current, EchoNames.Shouted)["required"]!).Add("reason");
        Properties(current, EchoNames.Shout).Add("color", new JsonObject { ["type"] = new JsonArray("string", "null") });

        Assert.Equal(
            [
                new ContractChange(EchoNames.Shouted, "reason", "a new required field (payloads written before it lack it)", true),
                new ContractChange(EchoNames.Shout, "color", "a new optional field", false),
            ],
            ContractRegistry.Compare(Current(), current));
    }

    [Fact]
    public void Compare_ResultFieldRemoved_IsBreaking_ResultFieldAdded_IsCompatible()
    {
        var current = Current();
        var result = (JsonObject)current["types"]![EchoNames.GetEcho]!["result_schema"]!["properties"]!;
        result.Remove("by");
        result.Add("said_at", new JsonObject { ["type"] = "string" });

        Assert.Equal(
            [
                new ContractChange(EchoNames.GetEcho, "(result).by", "the field was removed (or renamed)", true),
                new ContractChange(EchoNames.GetEcho, "(result).said_at", "a new optional field", false),
            ],
            ContractRegistry.Compare(Current(), current));
    }

    [Fact]
    public void Compare_TypeRemoved_IsBreaking()
    {
        var current = Current();
        ((JsonObject)current["types"]!).Remove(EchoNames.Shouted);

        Assert.Equal(new ContractChange(EchoNames.Shouted, null, "the type was removed (or renamed)", true), Assert.Single(ContractRegistry.Compare(Current(), current)));
    }

    [Fact]
    public void Verify_CommittedRegistryHasAFieldTheCodeDropped_FailsNamingTypeAndField()
    {
        var committed = Current();
        Properties(committed, EchoNames.Shouted).Add("priority", new JsonObject { ["type"] = "integer" });
        File.WriteAllText(Path.Combine(_folder, ContractRegistry.FileName), committed.ToJsonString());

        var failure = Assert.Throws<PackSpecException>(() => ContractRegistry.Verify(new EchoPack(), EchoNames.PackId, Folders));

        Assert.Contains("without a new major version", failure.Message, StringComparison.Ordinal);
        Assert.Contains("BREAKING pack.echo.echoes.Shouted field 'priority': the field was removed (or renamed)", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_BreakingChangeWithANewMajorVersion_OnlyAsksForTheRegistryToBeRegenerated()
    {
        var committed = Current();
        committed["version"] = "0.9.0";
        Properties(committed, EchoNames.Shouted).Add("priority", new JsonObject { ["type"] = "integer" });
        File.WriteAllText(Path.Combine(_folder, ContractRegistry.FileName), committed.ToJsonString());

        var failure = Assert.Throws<PackSpecException>(() => ContractRegistry.Verify(new EchoPack(), EchoNames.PackId, Folders));

        Assert.Contains("is out of date", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("without a new major version", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_CompatibleChange_FailsUntilTheRegistryIsRegenerated()
    {
        var committed = Current();
        ((JsonObject)committed["types"]!).Remove(EchoNames.GetEcho);
        File.WriteAllText(Path.Combine(_folder, ContractRegistry.FileName), committed.ToJsonString());

        var failure = Assert.Throws<PackSpecException>(() => ContractRegistry.Verify(new EchoPack(), EchoNames.PackId, Folders));

        Assert.Contains($"compatible {EchoNames.GetEcho}: the type was added", failure.Message, StringComparison.Ordinal);
        Assert.Contains(ContractRegistry.UpdateVariable + "=1", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_NoRegistryYet_FailsUnlessAskedToCreateItThenPasses()
    {
        Assert.Throws<PackSpecException>(() => ContractRegistry.Verify(new EchoPack(), EchoNames.PackId, Folders));
        ContractRegistry.Verify(new EchoPack(), EchoNames.PackId, Folders, createWhenMissing: true);

        Assert.True(File.Exists(Path.Combine(_folder, ContractRegistry.FileName)));
        Assert.Empty(ContractRegistry.Verify(new EchoPack(), EchoNames.PackId, Folders));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
