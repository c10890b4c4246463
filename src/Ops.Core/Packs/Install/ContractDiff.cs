using System.Text.Json.Nodes;

namespace Ops.Core.Packs.Install;

/// <summary>
/// The compatibility diff of two contract registries (constitution §4): the JSON Schemas of a contract module's
/// commands, events and queries, as the pack build ships them (<c>&lt;contract&gt;.contract-registry.json</c>) and the
/// install records them. Breaking, for what a pack reads (command and query arguments, events, which the log keeps for
/// ever): a type removed, a field removed or renamed, a field's type changed or narrowed, an enum value removed, a new
/// required field, a field that became required. For query results: a field removed, or its type changed to one it
/// shares nothing with. Anything else (a new type, a new optional field, a widened type) is compatible. The test kit's
/// <c>ContractRegistry.Compare</c> and the install's upgrade check (issue 16 item 5) both use this one diff.
/// </summary>
internal static class ContractDiff
{
    /// <summary>Every difference between an earlier registry and a later one, breaking ones first.</summary>
    public static IReadOnlyList<ContractDiffEntry> Compare(JsonObject committed, JsonObject current)
    {
        ArgumentNullException.ThrowIfNull(committed);
        ArgumentNullException.ThrowIfNull(current);
        var changes = new List<ContractDiffEntry>();
        var before = committed["types"] as JsonObject ?? [];
        var after = current["types"] as JsonObject ?? [];
        foreach (var (name, oldNode) in before)
        {
            if (after[name] is not JsonObject newType)
            {
                changes.Add(new ContractDiffEntry(name, null, "the type was removed (or renamed)", true));
                continue;
            }

            var oldType = (JsonObject)oldNode!;
            foreach (var key in new[] { "kind", "payload_schema_version", "route", "safety_class", "clr_type" })
            {
                var was = oldType[key]?.ToJsonString();
                var now = newType[key]?.ToJsonString();
                if (was != now)
                {
                    changes.Add(new ContractDiffEntry(name, null, $"{key} changed from {was ?? "none"} to {now ?? "none"}", key is "kind" or "route" or "payload_schema_version" or "safety_class"));
                }
            }

            CompareSchema(name, string.Empty, oldType["schema"] as JsonObject, newType["schema"] as JsonObject, input: true, changes);
            CompareSchema(name, "(result)", oldType["result_schema"] as JsonObject, newType["result_schema"] as JsonObject, input: false, changes);
        }

        foreach (var (name, _) in after)
        {
            if (before[name] is null)
            {
                changes.Add(new ContractDiffEntry(name, null, "the type was added", false));
            }
        }

        return [.. changes.OrderByDescending(c => c.IsBreaking)];
    }

    private static void CompareSchema(string typeName, string path, JsonObject? before, JsonObject? after, bool input, List<ContractDiffEntry> changes)
    {
        if (before is null)
        {
            return;
        }

        var field = path.Length == 0 ? null : path;
        if (after is null)
        {
            changes.Add(new ContractDiffEntry(typeName, field, "the schema was removed", true));
            return;
        }

        var was = Types(before);
        var now = Types(after);
        if (was.Count > 0 && now.Count > 0)
        {
            var lost = was.Except(now).ToList();
            if (lost.Count > 0 && (input || !was.Overlaps(now)))
            {
                changes.Add(new ContractDiffEntry(typeName, field, $"type changed from {Show(was)} to {Show(now)}", true));
            }
            else if (now.Except(was).Any())
            {
                changes.Add(new ContractDiffEntry(typeName, field, $"type widened from {Show(was)} to {Show(now)}", false));
            }
        }

        if (input && before["enum"] is JsonArray oldEnum && after["enum"] is JsonArray newEnum)
        {
            foreach (var value in oldEnum.Select(v => v?.ToJsonString()).Except(newEnum.Select(v => v?.ToJsonString())))
            {
                changes.Add(new ContractDiffEntry(typeName, field, $"enum value {value} was removed", true));
            }
        }

        var oldProperties = before["properties"] as JsonObject ?? [];
        var newProperties = after["properties"] as JsonObject ?? [];
        var oldRequired = Required(before);
        var newRequired = Required(after);
        foreach (var (name, oldProperty) in oldProperties)
        {
            var child = path.Length == 0 ? name : path + "." + name;
            if (newProperties[name] is not JsonObject newProperty)
            {
                changes.Add(new ContractDiffEntry(typeName, child, "the field was removed (or renamed)", true));
                continue;
            }

            if (input && newRequired.Contains(name) && !oldRequired.Contains(name))
            {
                changes.Add(new ContractDiffEntry(typeName, child, "the field became required", true));
            }

            CompareSchema(typeName, child, oldProperty as JsonObject, newProperty, input, changes);
        }

        foreach (var (name, _) in newProperties)
        {
            if (oldProperties[name] is null)
            {
                var child = path.Length == 0 ? name : path + "." + name;
                var required = input && newRequired.Contains(name);
                changes.Add(new ContractDiffEntry(typeName, child, required ? "a new required field (payloads written before it lack it)" : "a new optional field", required));
            }
        }

        if (before["items"] is JsonObject oldItems)
        {
            CompareSchema(typeName, path + "[]", oldItems, after["items"] as JsonObject, input, changes);
        }
    }

    private static HashSet<string> Types(JsonObject schema) => schema["type"] switch
    {
        JsonValue value => [value.GetValue<string>()],
        JsonArray array => [.. array.Select(t => t!.GetValue<string>())],
        _ => [],
    };

    private static HashSet<string> Required(JsonObject schema) =>
        schema["required"] is JsonArray required ? [.. required.Select(r => r!.GetValue<string>())] : [];

    private static string Show(HashSet<string> types) => string.Join("|", types.Order(StringComparer.Ordinal));
}

/// <summary>One difference between two contract registries.</summary>
/// <param name="TypeName">The registered type name (for example <c>pack.notes.notes.NoteCreated</c>).</param>
/// <param name="Field">The field's path (dotted, <c>[]</c> for array items), or null for the type itself.</param>
/// <param name="Change">What changed, in words.</param>
/// <param name="IsBreaking">Whether a reader written against the earlier contract can break.</param>
internal sealed record ContractDiffEntry(string TypeName, string? Field, string Change, bool IsBreaking);
