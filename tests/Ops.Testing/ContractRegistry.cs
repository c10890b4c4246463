using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Packs;

namespace Ops.Testing;

/// <summary>
/// Contract compatibility (constitution §4): the JSON Schema of every command, event and query payload a pack
/// registers, grouped per contract module (the assembly its payload type lives in, when that assembly's name ends
/// with <c>.Contracts</c>), and a diff that names each breaking change by type and field.
/// <para>
/// A registry is a JSON document: <c>contract</c> (the assembly), <c>version</c> (its semver), and <c>types</c> by
/// registered name, each with <c>kind</c> (<c>command</c>, <c>event</c>, <c>query</c>), <c>clr_type</c>,
/// <c>payload_schema_version</c> (events), <c>route</c> (queries), <c>schema</c> and, for queries, <c>result_schema</c>.
/// Schemas are System.Text.Json's <see cref="JsonSchemaExporter"/> over the kernel's own JSON options
/// (snake_case names; a constructor parameter without a default value is required; nullable annotations are
/// respected), with instants as <c>{"type":"string","format":"date-time"}</c>.
/// </para>
/// <para>
/// Breaking, for what a pack reads (command and query arguments, events, which the log keeps for ever): a type
/// removed, a field removed or renamed, a field's type changed or narrowed (a type it accepted before is no
/// longer accepted, <c>null</c> included), an enum value removed, a new required field, a field that became
/// required. For query results (what clients read): a field removed, or its type changed to one it shares nothing
/// with. Anything else that differs (a new type, a new optional field, a widened type) is compatible.
/// </para>
/// </summary>
public static class ContractRegistry
{
    /// <summary>The environment variable that lets <see cref="Verify"/> rewrite the committed registry when the changes are allowed.</summary>
    public const string UpdateVariable = "OPS_UPDATE_CONTRACT_REGISTRY";

    /// <summary>The registry's file name, in the contract module's project folder.</summary>
    public const string FileName = "contract-registry.json";

    private static readonly JsonSerializerOptions Written = new() { WriteIndented = true, IndentSize = 2 };

    /// <summary>The registry of every contract module whose types <paramref name="pack"/> registers, by contract assembly name.</summary>
    /// <param name="pack">The pack's entry type.</param>
    /// <param name="packId">Its pack id (the builder refuses nothing here; names are checked where the pack loads).</param>
    /// <returns>One registry per contract module, keys ordered ordinally; empty when no payload type lives in a <c>*.Contracts</c> assembly.</returns>
    public static IReadOnlyDictionary<string, JsonObject> Export(IOpsPack pack, string packId)
    {
        ArgumentNullException.ThrowIfNull(pack);
        ArgumentException.ThrowIfNullOrEmpty(packId);
        var recorder = new RecordingBuilder(packId);
        pack.Register(recorder);
        var registries = new SortedDictionary<string, (Assembly Assembly, SortedDictionary<string, JsonObject> Types)>(StringComparer.Ordinal);
        foreach (var (name, entry, contract) in recorder.Entries)
        {
            var assemblyName = contract.GetName().Name!;
            if (!assemblyName.EndsWith(".Contracts", StringComparison.Ordinal))
            {
                continue;
            }

            if (!registries.TryGetValue(assemblyName, out var registry))
            {
                registries[assemblyName] = registry = (contract, new SortedDictionary<string, JsonObject>(StringComparer.Ordinal));
            }

            registry.Types[name] = entry;
        }

        return registries.ToDictionary(
            r => r.Key,
            r =>
            {
                var types = new JsonObject();
                foreach (var (name, entry) in r.Value.Types)
                {
                    types[name] = entry;
                }

                return new JsonObject
                {
                    ["contract"] = r.Key,
                    ["version"] = r.Value.Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
                    ["types"] = types,
                };
            },
            StringComparer.Ordinal);
    }

    /// <summary>Every difference between a committed registry and the current one, breaking ones first.</summary>
    /// <param name="committed">The registry as committed.</param>
    /// <param name="current">The registry as the code exports it now.</param>
    /// <returns>The changes; empty when the two describe the same contract.</returns>
    public static IReadOnlyList<ContractChange> Compare(JsonObject committed, JsonObject current) =>
        [.. Ops.Core.Packs.Install.ContractDiff.Compare(committed, current).Select(c => new ContractChange(c.TypeName, c.Field, c.Change, c.IsBreaking))];

    /// <summary>
    /// The check CI runs: exports the pack's contract modules and compares each with its committed registry,
    /// <c>&lt;contract project folder&gt;/contract-registry.json</c>. It fails on a breaking change unless the contract
    /// module's major version went up, and on any other difference unless <see cref="UpdateVariable"/> is <c>1</c>,
    /// in which case it writes the allowed registry for you to commit.
    /// </summary>
    /// <param name="pack">The pack's entry type.</param>
    /// <param name="packId">Its pack id.</param>
    /// <param name="contractFolders">The project folder of each contract module, by assembly name, for example <c>{"Acme.Invoices.Contracts": "src/Acme.Invoices.Contracts"}</c>.</param>
    /// <param name="createWhenMissing">Write a registry that does not exist yet instead of failing (a new contract module).</param>
    /// <returns>The compatible changes found (new types, new optional fields), for a log line.</returns>
    /// <exception cref="PackSpecException">A breaking change without a major version bump (the message names each type and field), a missing registry, or an out-of-date one.</exception>
    public static IReadOnlyList<ContractChange> Verify(IOpsPack pack, string packId, IReadOnlyDictionary<string, string> contractFolders, bool createWhenMissing = false)
    {
        ArgumentNullException.ThrowIfNull(contractFolders);
        var update = Environment.GetEnvironmentVariable(UpdateVariable) == "1";
        var problems = new List<string>();
        var compatible = new List<ContractChange>();
        foreach (var (contract, current) in Export(pack, packId))
        {
            if (!contractFolders.TryGetValue(contract, out var folder))
            {
                problems.Add($"{contract}: no project folder given for this contract module.");
                continue;
            }

            var path = Path.Combine(folder, FileName);
            if (!File.Exists(path))
            {
                if (createWhenMissing || update)
                {
                    Write(path, current);
                }
                else
                {
                    problems.Add($"{contract}: {path} does not exist; run the tests with {UpdateVariable}=1 and commit it.");
                }

                continue;
            }

            var committed = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new PackSpecException($"{path} is not a JSON object.");
            var changes = Compare(committed, current);
            var breaking = changes.Where(c => c.IsBreaking).ToList();
            var majorBumped = Major(current["version"]) > Major(committed["version"]);
            if (breaking.Count > 0 && !majorBumped)
            {
                problems.Add($"{contract} {committed["version"]} -> {current["version"]}: breaking change(s) without a new major version (constitution §4: published contracts are append-only, or versioned):"
                    + string.Concat(breaking.Select(c => Environment.NewLine + "  " + c)));
                continue;
            }

            if (changes.Count > 0 || !JsonNode.DeepEquals(committed, current))
            {
                if (update)
                {
                    Write(path, current);
                }
                else
                {
                    problems.Add($"{contract}: {path} is out of date ({string.Join("; ", changes.Select(c => c.ToString()).DefaultIfEmpty("the registry differs"))}); run the tests with {UpdateVariable}=1 and commit it.");
                }
            }

            compatible.AddRange(changes.Where(c => !c.IsBreaking));
        }

        return problems.Count == 0 ? compatible : throw new PackSpecException(string.Join(Environment.NewLine, problems));
    }

    private static void Write(string path, JsonObject registry) => File.WriteAllText(path, registry.ToJsonString(Written) + "\n");

    private static int Major(JsonNode? version) =>
        int.TryParse((version?.GetValue<string>() ?? "0").Split('.')[0], System.Globalization.CultureInfo.InvariantCulture, out var major) ? major : 0;

    /// <summary>Records what a pack registers, with the payload types, without binding anything.</summary>
    private sealed class RecordingBuilder(string packId) : IPackBuilder
    {
        private static readonly JsonSerializerOptions SchemaOptions = OpsJson.Options;

        private static readonly JsonSchemaExporterOptions Exporter = new()
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = (context, schema) =>
                context.TypeInfo.Type == typeof(DateTimeOffset) || context.TypeInfo.Type == typeof(DateTimeOffset?)
                    ? new JsonObject
                    {
                        ["type"] = context.TypeInfo.Type == typeof(DateTimeOffset) ? "string" : new JsonArray("string", "null"),
                        ["format"] = "date-time",
                    }
                    : schema,
        };

        public List<(string Name, JsonObject Entry, Assembly Contract)> Entries { get; } = [];

        public string PackId { get; } = packId;

        public IConfiguration Configuration { get; } = new ConfigurationBuilder().Build();

        public IServiceCollection Services { get; } = new ServiceCollection();

        public IPackBuilder AddEvent<TPayload>(string eventType, int schemaVersion = 1)
            where TPayload : class
        {
            Entries.Add((eventType, new JsonObject { ["kind"] = "event", ["clr_type"] = typeof(TPayload).FullName, ["payload_schema_version"] = schemaVersion, ["schema"] = Schema(typeof(TPayload)) }, typeof(TPayload).Assembly));
            return this;
        }

        public IPackBuilder AddCommand<TCommand>(string commandType, SafetyClass safetyClass, CommandTarget<TCommand> target)
            where TCommand : class
        {
            Entries.Add((commandType, new JsonObject { ["kind"] = "command", ["clr_type"] = typeof(TCommand).FullName, ["safety_class"] = JsonSerializer.SerializeToNode(safetyClass, OpsJson.Options), ["schema"] = Schema(typeof(TCommand)) }, typeof(TCommand).Assembly));
            return this;
        }

        public IPackBuilder AddProjection<TDocument>(string projectionName, int version, string resourceKind = "projections", ProjectionTenancy tenancy = ProjectionTenancy.PerTenant)
            where TDocument : class => this;

        public IPackBuilder AddQuery<TQuery, TResult>(string queryName, string route)
            where TQuery : class
        {
            Entries.Add((queryName, new JsonObject { ["kind"] = "query", ["clr_type"] = typeof(TQuery).FullName, ["route"] = route, ["schema"] = Schema(typeof(TQuery)), ["result_schema"] = Schema(typeof(TResult)) }, typeof(TQuery).Assembly));
            return this;
        }

        public IPackBuilder AddConnector<TConnector>(string connectorName)
            where TConnector : class, IConnector => this;

        private static JsonNode Schema(Type type) => SchemaOptions.GetJsonSchemaAsNode(type, Exporter);
    }
}

/// <summary>One difference between two contract registries.</summary>
/// <param name="TypeName">The registered name (for example <c>pack.notes.notes.NoteCreated</c>).</param>
/// <param name="Field">The field, dotted for nested ones (<c>source.created_by</c>, <c>tags[]</c>), <c>(result)…</c> for a query's result; <see langword="null"/> for the type itself.</param>
/// <param name="Change">What changed, in words.</param>
/// <param name="IsBreaking">Whether a reader written against the committed contract can break (see <see cref="ContractRegistry"/>).</param>
public sealed record ContractChange(string TypeName, string? Field, string Change, bool IsBreaking)
{
    /// <summary>One line: <c>BREAKING pack.x.y.Z field 'a': the field was removed (or renamed)</c>.</summary>
    /// <returns>The line.</returns>
    public override string ToString() => $"{(IsBreaking ? "BREAKING" : "compatible")} {TypeName}{(Field is null ? string.Empty : $" field '{Field}'")}: {Change}";
}
