using Microsoft.Data.Sqlite;

namespace Ops.Host.Tests;

/// <summary><c>projections verify</c> by hand: a projection document edited with raw SQL on the file is named, and repaired only when asked.</summary>
public sealed class ProjectionsCliTests : IDisposable
{
    private const string NoteIndex = "pack.notes.notes.NoteIndex";
    private readonly string _work = Directory.CreateTempSubdirectory("ops-projections-cli-").FullName;

    private string Database => Path.Combine(_work, "data", "ops.db");

    private Task<(int ExitCode, string Output)> Cli(params string[] args) => HostProcess.RunCliAsync(_work, null, args);

    [Fact]

    [Trait("Pack", "notes")]
    public async Task Verify_DocumentEditedWithRawSql_NamesTheProjectionAndDocumentAndExitsOne()
    {
        Assert.Equal(0, (await Cli("init")).ExitCode);
        Assert.Equal(0, (await Cli("propose", "--type", "pack.notes.notes.CreateNote", "--target", "note-new", "--payload", """{"title":"Launch plan","content":"Ship it","content_type":"text"}""")).ExitCode);
        Assert.Equal(0, (await Cli("sign", "proposal.json", "--interpretation", "1")).ExitCode);
        Assert.Equal(0, (await Cli("commit", "proposal.json", "--consent", "consent.json")).ExitCode);
        var rebuilt = await Cli("projections", "rebuild");
        Assert.Equal(0, rebuilt.ExitCode);
        Assert.Contains("REBUILT  " + NoteIndex, rebuilt.Output, StringComparison.Ordinal);
        var clean = await Cli("projections", "verify");
        Assert.Equal(0, clean.ExitCode);
        Assert.Contains("OK       " + NoteIndex + " v1: 1 document(s)", clean.Output, StringComparison.Ordinal);

        var key = Tamper("UPDATE projection_documents SET document = CAST(replace(CAST(document AS TEXT), 'Ship it', 'Cancel it') AS BLOB) WHERE projection = 'pack.notes.notes.NoteIndex' RETURNING doc_key");
        var tampered = await Cli("projections", "verify");
        var named = await Cli("projections", "verify", NoteIndex);

        Assert.Equal(1, tampered.ExitCode);
        Assert.Contains($"DIFFERS  {NoteIndex} v1", tampered.Output, StringComparison.Ordinal);
        Assert.Contains($"first difference default/system/{key}: stored document differs from the rebuilt one", tampered.Output, StringComparison.Ordinal);
        Assert.Contains($"differ from the log: {NoteIndex}.", tampered.Output, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", tampered.Output, StringComparison.Ordinal);
        Assert.Equal(1, named.ExitCode);
        Assert.Contains("Cancel it", Document(key), StringComparison.Ordinal);

        var repaired = await Cli("projections", "verify", "--repair");
        Assert.Equal(1, repaired.ExitCode);
        Assert.Contains("REBUILT  " + NoteIndex, repaired.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await Cli("projections", "verify")).ExitCode);
        Assert.Contains("Ship it", Document(key), StringComparison.Ordinal);
    }

    [Fact]

    [Trait("Pack", "notes")]
    public async Task VerifyAndList_UnknownOrListed_SayWhatIsRegistered()
    {
        Assert.Equal(0, (await Cli("init")).ExitCode);

        var unknown = await Cli("projections", "verify", "pack.nope.x.Y");
        var list = await Cli("projections", "list");

        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no projection 'pack.nope.x.Y' is registered; registered: ", unknown.Output, StringComparison.Ordinal);
        Assert.Contains(NoteIndex, unknown.Output, StringComparison.Ordinal);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains($"{NoteIndex}  owner=notes  v1  tenancy=PerTenant  route=notes_store", list.Output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }

    private string Tamper(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (string)command.ExecuteScalar()!;
    }

    private string Document(string key)
    {
        using var connection = new SqliteConnection($"Data Source={Database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT CAST(document AS TEXT) FROM projection_documents WHERE projection = $p AND doc_key = $k";
        command.Parameters.AddWithValue("$p", NoteIndex);
        command.Parameters.AddWithValue("$k", key);
        return (string)command.ExecuteScalar()!;
    }
}
