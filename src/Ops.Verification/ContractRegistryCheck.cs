using System.Text.Json;
using System.Text.Json.Nodes;
using Mono.Cecil;
using Ops.Core.Errors;

namespace Ops.Verification;

/// <summary>
/// The contract registry a pack ships for each contract module it exports (<c>&lt;contract&gt;.contract-registry.json</c>,
/// issue 16 item 5), checked against the module's metadata so that an upgrade's diff compares what the code is, not what
/// a file claims: the registry names this contract, every type it lists is a public type of the module, and every
/// schema's fields are exactly the JSON names of that type's public properties. Nothing is loaded.
/// </summary>
internal static class ContractRegistryCheck
{
    /// <summary>The registry's file name for a contract module in a pack folder.</summary>
    public static string FileOf(string contract) => contract + ".contract-registry.json";

    /// <summary>Findings for <paramref name="bytes"/>, the registry of <paramref name="module"/>; none when it describes the module.</summary>
    public static IEnumerable<PackFinding> Check(string contract, byte[] bytes, ModuleDefinition module)
    {
        var file = FileOf(contract);
        JsonObject registry;
        try
        {
            registry = JsonNode.Parse(bytes) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException ex)
        {
            return [Finding(file, $"{file} is not a contract registry (JSON object): {ex.Message}")];
        }

        if (registry["contract"]?.GetValue<string>() != contract || registry["types"] is not JsonObject types)
        {
            return [Finding(file, $"{file} does not describe {contract}: its \"contract\" must be \"{contract}\" and it must list \"types\".")];
        }

        var findings = new List<PackFinding>();
        var publicTypes = module.Types.Where(t => t.IsPublic).ToDictionary(t => t.FullName, StringComparer.Ordinal);
        foreach (var (name, node) in types)
        {
            if (node is not JsonObject entry || entry["clr_type"]?.GetValue<string>() is not { } clrType || !publicTypes.TryGetValue(clrType, out var type))
            {
                findings.Add(Finding(file, $"{file} lists {name} as a type {contract} does not have (clr_type '{node?["clr_type"]}'): the registry must describe the shipped assembly."));
                continue;
            }

            if (entry["schema"]?["properties"] is not JsonObject properties)
            {
                continue;
            }

            var declared = JsonNames(type);
            var listed = properties.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
            if (!declared.SetEquals(listed))
            {
                findings.Add(Finding(file, $"{file} describes {name} with fields [{string.Join(", ", listed.Order(StringComparer.Ordinal))}], but {clrType} in {contract} has [{string.Join(", ", declared.Order(StringComparer.Ordinal))}]: regenerate the registry from the code (OPS_UPDATE_CONTRACT_REGISTRY=1 with the pack's tests)."));
            }
        }

        return findings;
    }

    /// <summary>The JSON member names of a contract record: its public instance properties, snake_case unless renamed, ignored ones left out.</summary>
    private static HashSet<string> JsonNames(TypeDefinition type)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var current = type; current is not null; current = current.BaseType?.Resolve())
        {
            foreach (var property in current.Properties.Where(p => p.GetMethod is { IsPublic: true, IsStatic: false } && p.Name != "EqualityContract"))
            {
                // Only [JsonIgnore] itself (Condition Always, 1) hides a member; WhenWritingNull and the like still name it.
                if (property.CustomAttributes.Any(a => a.AttributeType.Name == "JsonIgnoreAttribute" && a.Properties.All(p => p.Name != "Condition" || Convert.ToInt32(p.Argument.Value, System.Globalization.CultureInfo.InvariantCulture) == 1)))
                {
                    continue;
                }

                var renamed = property.CustomAttributes.FirstOrDefault(a => a.AttributeType.Name == "JsonPropertyNameAttribute")?.ConstructorArguments[0].Value as string;
                names.Add(renamed ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name));
            }

            if (current.BaseType is null || current.BaseType.FullName == "System.Object" || current.BaseType.Scope != type.Scope)
            {
                break;
            }
        }

        return names;
    }

    private static PackFinding Finding(string file, string message) => new(PackRuleIds.ContractRegistry, ReasonCodes.PackRefused, message) { File = file };
}
