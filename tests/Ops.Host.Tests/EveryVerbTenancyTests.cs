using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Ops.Host.Cli;

namespace Ops.Host.Tests;

/// <summary>
/// Issue 20 item 1, generated from the CLI's own verb tree (walked through its help, as a user sees it): every verb has a
/// declared tenant rule here, or the test fails naming it. Verbs that act as <c>--as</c> go through the kernel with that
/// actor's capabilities; globex's tenant administrator runs each against default's objects (the world of
/// <see cref="EveryRouteTenancyTests"/>) and is refused, and afterwards every event gus caused, in the whole log, is in
/// globex or on the safety stream. Verbs that read or maintain the database file itself are the operator's at the worker's
/// machine, who holds the file (docs/security.md §8); they are declared so.
/// </summary>
public sealed partial class EveryVerbTenancyTests : IDisposable
{
    private const string Operator = "operator: reads or maintains the database file itself, root by file access on the worker's machine";
    private const string Local = "local: touches no database (a key or a signature file)";

    private readonly string _work = Directory.CreateTempSubdirectory("ops-every-verb-").FullName;

    /// <summary>Every leaf verb's rule; an attack (gus's arguments) for those that act as an actor. A verb missing here fails.</summary>
    private static readonly Dictionary<string, (string Rule, Func<Ids, string[]>? Attack)> Rules = new(StringComparer.Ordinal)
    {
        ["run"] = (Operator + " (the worker)", null),
        ["init"] = (Operator, null),
        ["status"] = (Operator, null),
        ["actors add"] = ("an actor is registered in the acting actor's tenant unless a capability names the other", _ => ["actors", "add", "mole", "--tenant", "default"]),
        ["actors list"] = (Operator, null),
        ["actors disable"] = ("another tenant's actor is another tenant's object", _ => ["actors", "disable", "admin", "--reason", "takeover", "--yes"]),
        ["actors enable"] = ("another tenant's actor is another tenant's object", _ => ["actors", "enable", "admin"]),
        ["api-keys list"] = (Operator, null),
        ["api-keys issue"] = ("another tenant's actor is another tenant's object", _ => ["api-keys", "issue", "admin"]),
        ["api-keys revoke"] = ("another tenant's actor's key is another tenant's object", ids => ["api-keys", "revoke", ids.AdminApiKey, "--reason", "takeover", "--yes"]),
        ["admin recover"] = (Operator + " (break-glass)", null),
        ["capabilities grant"] = ("granting to another tenant's actor needs a capability that names the tenant", _ => ["capabilities", "grant", "admin", "--types", "pack.notes.*"]),
        ["capabilities revoke"] = ("another tenant's capability is another tenant's object", ids => ["capabilities", "revoke", ids.AdminCapability, "--reason", "takeover"]),
        ["capabilities list"] = (Operator, null),
        ["tenants add"] = ("a tenant administrator of another tenant is root's to make", _ => ["tenants", "add", "default", "--admin", "mole"]),
        ["log tail"] = (Operator, null),
        ["log export"] = (Operator, null),
        ["log verify"] = (Operator, null),
        ["log checkpoint"] = (Operator, null),
        ["packs list"] = (Operator, null),
        ["packs install"] = ("a pack spans every tenant: install is root's", ids => ["packs", "install", ids.NotesFolder]),
        ["packs remove"] = ("a pack spans every tenant: removal is root's", _ => ["packs", "remove", "notes", "--reason", "takeover", "--yes"]),
        ["packs sign"] = (Local, null),
        ["packs verify"] = (Local + "; loads no pack code", null),
        ["db migrate"] = (Operator, null),
        ["db unlock"] = (Operator, null),
        ["db backup"] = (Operator + " (copies the whole file)", null),
        ["db restore"] = (Operator + " (replaces the whole file, worker stopped)", null),
        ["connectors list"] = ("each tenant runs its own instance: the acting actor's tenant's", _ => ["connectors", "list"]),
        ["connectors show"] = ("each tenant runs its own instance: the acting actor's tenant's", _ => ["connectors", "show", "github.issues"]),
        ["connectors reset"] = ("each tenant runs its own instance: the acting actor's tenant's is reset, never another's", _ => ["connectors", "reset", "github.issues", "--reason", "force a backfill"]),
        ["projections list"] = (Operator, null),
        ["projections verify"] = (Operator, null),
        ["projections rebuild"] = (Operator, null),
        ["projections resume"] = (Operator, null),
        ["egress list"] = ("the acting actor's tenant's requests only", _ => ["egress", "list"]),
        ["egress show"] = ("another tenant's request is not there for the caller", ids => ["egress", "show", ids.RequestId]),
        ["egress approve"] = ("another tenant's request is not there for the caller", ids => ["egress", "approve", ids.RequestId]),
        ["egress reject"] = ("another tenant's request is not there for the caller", ids => ["egress", "reject", ids.RequestId, "--reason", "mine"]),
        ["egress hold"] = ("another tenant's request is not there for the caller", ids => ["egress", "hold", ids.RequestId, "--reason", "mine"]),
        ["egress release"] = ("another tenant's request is not there for the caller", ids => ["egress", "release", ids.RequestId, "--reason", "mine"]),
        ["egress undo"] = ("another tenant's request is not there for the caller", ids => ["egress", "undo", ids.RequestId, "--reason", "mine"]),
        ["egress switch list"] = ("the acting actor's tenant's switches only", _ => ["egress", "switch", "list"]),
        ["egress switch engage"] = ("a global switch is root's", _ => ["egress", "switch", "engage", "global", "--reason", "takeover"]),
        ["egress switch release"] = ("another tenant's switch is not the caller's to release", _ => ["egress", "switch", "release", "pack:notes", "--reason", "takeover"]),
        ["keys new"] = (Local, null),
        ["keys register"] = ("another tenant's actor is another tenant's object", ids => ["keys", "register", "admin", "--public-key", ids.GusPublicKey]),
        ["keys revoke"] = ("another tenant's actor's key is another tenant's object", ids => ["keys", "revoke", ids.AdminSignerKey, "--reason", "takeover"]),
        ["keys rotate"] = ("another tenant's actor's key is another tenant's object", ids => ["keys", "rotate", ids.AdminSignerKey, "--out", Path.Combine(ids.Work, "rotated.pem")]),
        ["keys list"] = (Operator, null),
        ["propose"] = ("an object of another tenant needs a capability that names it, already at the preview", _ => ["propose", "--type", "core.RegisterActor", "--target", "actor-mole", "--payload", RegisterMole, "--out", "gus-proposal.json"]),
        ["sign"] = (Local, null),
        ["commit"] = ("a signature does not carry the signer across tenants: decided again as the committing actor", ids => ["commit", ids.RootProposal]),
        ["policies list"] = (Operator, null),
        ["policies create"] = ("a policy is created in the acting actor's tenant and consents only there", _ => ["policies", "create", "gpol", "--types", "pack.notes.*", "--actors", "admin"]),
        ["policies activate"] = ("another tenant's policy is another tenant's object", _ => ["policies", "activate", "pol", "--version", "1"]),
        ["policies deprecate"] = ("another tenant's policy is another tenant's object", _ => ["policies", "deprecate", "pol", "--version", "1"]),
        ["audit list"] = (Operator, null),
        ["audit export"] = (Operator, null),
    };

    /// <summary>Verbs whose attack may end well for gus: what they do stays inside globex, which the log check proves.</summary>
    private static readonly HashSet<string> MayRunInsideGlobex = new(StringComparer.Ordinal) { "egress list", "egress switch list", "policies create", "egress switch engage", "connectors list", "connectors show", "connectors reset" };

    private static string RegisterMole => """{"actor_id":"mole","kind":"human","display_name":"Mole","tenant_id":"default"}""";

    [Fact]
    [Trait("Pack", "notes")]
    public async Task EveryVerbOfTheCli_HasATenantRule_AndHoldsItAgainstAnotherTenantsAdministrator()
    {
        var verbs = await VerbsAsync([]);
        var undeclared = verbs.Where(v => !Rules.ContainsKey(v)).ToList();
        Assert.True(undeclared.Count == 0, "verbs without a declared tenant rule: " + string.Join(", ", undeclared));
        Assert.Empty(Rules.Keys.Except(verbs));

        await using var world = await EveryRouteTenancyTests.World.StartAsync(_work);
        var ids = await PrepareAsync(world.Request.RequestId);
        var failures = new List<string>();
        var attacked = 0;
        foreach (var verb in verbs.Where(v => Rules[v].Attack is not null))
        {
            attacked++;
            var (code, output) = await CliAsync([.. Rules[verb].Attack!(ids), "--as", "gus", "--key", ids.GusKeyFile]);
            if (code == 0 && !MayRunInsideGlobex.Contains(verb))
            {
                failures.Add($"{verb} ({Rules[verb].Rule}): exit 0: {output}");
            }

            if (output.Contains(EveryRouteTenancyTests.Marker, StringComparison.Ordinal) || output.Contains(ids.RequestId, StringComparison.Ordinal) && verb is "egress list")
            {
                failures.Add($"{verb} ({Rules[verb].Rule}): shows default's data: {output}");
            }
        }

        failures.AddRange(EventsOfGusOutsideGlobex().Select(e => "gus caused an event outside globex: " + e));
        await world.DefaultIsUnchangedAsync();
        Console.WriteLine($"tenancy: {verbs.Count} CLI verbs, each with a declared rule; {attacked} acting as another tenant's administrator, refused or kept inside its tenant; {failures.Count} failed");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }

    /// <summary>Leaf verbs under <paramref name="path"/>, from the "Commands:" section of each level's help.</summary>
    private static async Task<List<string>> VerbsAsync(string[] path)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(0, await AdminCli.RunAsync([.. path, "--help"], output, error));
        var help = output.ToString();
        var start = help.IndexOf("Commands:", StringComparison.Ordinal);
        if (start < 0)
        {
            return [string.Join(' ', path)];
        }

        var verbs = new List<string>();
        foreach (Match m in SubcommandLine().Matches(help[start..]))
        {
            verbs.AddRange(await VerbsAsync([.. path, m.Groups[1].Value]));
        }

        return verbs;
    }

    /// <summary>Default's object ids, gus's signing key, and a proposal of root's for gus to commit.</summary>
    private async Task<Ids> PrepareAsync(string requestId)
    {
        var gusKeyFile = Path.Combine(_work, "gus.pem");
        var (_, created) = await CliAsync("keys", "new", "--out", gusKeyFile);
        var gusPublic = Line(created, "public_key: ");
        await Succeeds("keys", "register", "gus", "--public-key", gusPublic);
        await Succeeds("policies", "create", "pol", "--types", "pack.notes.*", "--actors", "admin");
        await Succeeds("propose", "--type", "core.RegisterActor", "--target", "actor-mole", "--payload", RegisterMole, "--out", "root-proposal.json");

        // Gus's key and capabilities work inside globex, so a refusal below is the tenant rule, not a broken setup.
        await Succeeds("actors", "add", "gusworker", "--as", "gus", "--key", gusKeyFile);
        await Succeeds("sign", "root-proposal.json", "--interpretation", "1", "--as", "gus", "--key", gusKeyFile);

        var (_, apiKeys) = await CliAsync("api-keys", "list");
        var (_, capabilities) = await CliAsync("capabilities", "list", "--actor", "admin");
        var (_, signers) = await CliAsync("keys", "list");
        return new Ids(
            _work,
            requestId,
            FirstWord(apiKeys, "actor=admin"),
            FirstWord(capabilities, "admin"),
            FirstWord(signers, "actor=admin"),
            gusPublic,
            gusKeyFile,
            Path.Combine(_work, "root-proposal.json"),
            Path.Combine(Path.GetDirectoryName(HostProcess.Executable)!, "packs", "Ops.Packs.Notes"));
    }

    private Task<(int ExitCode, string Output)> CliAsync(params string[] args) => HostProcess.RunCliAsync(_work, EveryRouteTenancyTests.Environment, args);

    private async Task Succeeds(params string[] args)
    {
        var (code, output) = await CliAsync(args);
        Assert.True(code == 0, $"{string.Join(' ', args)}: {output}");
    }

    private static string Line(string output, string prefix) =>
        output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..];

    private static string FirstWord(string output, string containing) =>
        output.Split('\n').Select(l => l.Trim()).First(l => l.Contains(containing, StringComparison.Ordinal) && !l.StartsWith("actor ", StringComparison.Ordinal)).Split(' ')[0];

    /// <summary>Every event whose actor is gus, whose tenant is not globex, off the safety stream: "stream type tenant".</summary>
    private List<string> EventsOfGusOutsideGlobex()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_work, "data", "ops.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT stream_id, event_type, envelope FROM events ORDER BY position";
        using var reader = command.ExecuteReader();
        var found = new List<string>();
        while (reader.Read())
        {
            using var envelope = JsonDocument.Parse((byte[])reader["envelope"]);
            var actor = envelope.RootElement.GetProperty("actor").GetProperty("id").GetString();
            var tenant = envelope.RootElement.GetProperty("scope").GetProperty("tenant_id").GetString();
            if (actor == "gus" && tenant != "globex" && reader.GetString(0) != Ops.Core.Safety.SafetyEventTypes.SafetyStream)
            {
                found.Add($"{reader.GetString(0)} {reader.GetString(1)} {tenant}");
            }
        }

        return found;
    }

    [GeneratedRegex(@"^  ([a-z][a-z-]*)\b", RegexOptions.Multiline)]
    private static partial Regex SubcommandLine();

    /// <summary>Default's objects, and what gus attacks with.</summary>
    private sealed record Ids(string Work, string RequestId, string AdminApiKey, string AdminCapability, string AdminSignerKey, string GusPublicKey, string GusKeyFile, string RootProposal, string NotesFolder);
}
