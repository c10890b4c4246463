using System.Reflection;
using System.Text.RegularExpressions;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Log;
using Ops.Host.Cli;
using Ops.Host.Edge;
using Ops.Host.Http;

namespace Ops.Host.Tests;

/// <summary>
/// Issue 8 item 3, the CLI half: one translator from reason kind to exit code and message, reading the same kind
/// table as problem+json, and no error recognised by its message text anywhere in production code.
/// </summary>
public sealed partial class CliErrorsTests
{
    public static TheoryData<string> Codes()
    {
        var data = new TheoryData<string>();
        foreach (var field in typeof(ReasonCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral))
        {
            data.Add((string)field.GetRawConstantValue()!);
        }

        return data;
    }

    [Fact]
    public void EveryReasonKind_HasOneEdgeEntry()
    {
        Assert.Equal(Enum.GetValues<ReasonKind>().Order(), EdgeReasons.All.Keys.Order());
    }

    [Theory]
    [MemberData(nameof(Codes))]
    public void EveryCatalogueCode_ExitsOne_AndHttpReadsTheSameRow(string code)
    {
        var entry = EdgeReasons.All[ReasonCodes.KindOf(code)];
        var exception = new OpsException(code, $"Something about {code} failed. Nothing was changed.");

        Assert.Equal(EdgeReasons.Refused, CliErrors.ExitCodeOf(exception));
        Assert.Equal(entry.ExitCode, CliErrors.ExitCodeOf(exception));
        Assert.Equal(entry.HttpStatus, Problems.StatusFor(code));
        Assert.InRange(entry.HttpStatus, 400, 599);
        Assert.Equal($"ops: Something about {code} failed. Nothing was changed.", CliErrors.MessageOf(exception));
    }

    [Theory]
    [MemberData(nameof(Codes))]
    public void RejectedOutcome_ExitsByItsCode_AcceptedExitsZero(string code)
    {
        var rejected = new CommandOutcome { CommandId = "c0ffee00c0ffee00", CommandType = "core.RegisterActor", Status = CommandStatus.Rejected, ReasonCode = code, Reason = "refused for the test; nothing changed", DecidedAt = DateTimeOffset.UnixEpoch };

        Assert.Equal(EdgeReasons.For(code).ExitCode, CliErrors.ExitCodeOf(rejected));
        Assert.Equal($"core.RegisterActor: rejected ({code}): refused for the test; nothing changed", CliErrors.RejectionOf(rejected));
        Assert.Equal(EdgeReasons.Success, CliErrors.ExitCodeOf(rejected with { Status = CommandStatus.Accepted, ReasonCode = null, Reason = null }));
    }

    [Fact]
    public void AHandlersOwnCode_IsUnprocessable_AtBothEdges()
    {
        Assert.Equal(422, Problems.StatusFor("pack.notes.title_taken"));
        Assert.Equal(EdgeReasons.Refused, CliErrors.ExitCodeOf(new OpsException("pack.notes.title_taken", "taken")));
    }

    [Fact]
    public void Failures_AreToldApartByType_NotByText()
    {
        // Same text, different types: the code follows the type.
        const string text = "the log is unavailable and the stream is in conflict";
        Assert.Equal(ReasonCodes.LogUnavailable, CliErrors.CodeOf(new LogCommitException(1, new IOException(text))));
        Assert.Equal(ReasonCodes.Internal, CliErrors.CodeOf(new IOException(text)));
        Assert.Equal(EdgeReasons.Refused, CliErrors.ExitCodeOf(new IOException(text)));
        Assert.Equal("ops: " + text + " Nothing was signed.", CliErrors.MessageOf(new IOException(text), "Nothing was signed."));
    }

    public static TheoryData<string, string> TypedFailures() => new()
    {
        { nameof(LogCommitException), ReasonCodes.LogUnavailable },
        { nameof(RefusingDatabase), ReasonCodes.LogUnavailable },
        { nameof(Ops.Core.Routing.RouteMissingException), ReasonCodes.ConfigurationInvalid },
        { nameof(Ops.Core.Connectors.ConnectorException), ReasonCodes.UpstreamFailed },
        { nameof(Ops.Core.Connectors.ConnectorDeniedException), ReasonCodes.CapabilityDenied },
        { nameof(System.Text.Json.JsonException), ReasonCodes.BadRequest },
        { nameof(OpsException), ReasonCodes.NotFound },
        { nameof(IOException), ReasonCodes.Internal },
    };

    [Theory]
    [MemberData(nameof(TypedFailures))]
    public void OneTranslator_GivesHttpCliAndStartUpTheSameCode_AndKeepsOperatorTextOffTheWire(string type, string code)
    {
        const string secret = "SELECT secret FROM events";
        Exception exception = type switch
        {
            nameof(LogCommitException) => new LogCommitException(1, new IOException(secret)),
            nameof(RefusingDatabase) => new RefusingDatabase(secret),
            nameof(Ops.Core.Routing.RouteMissingException) => new Ops.Core.Routing.RouteMissingException(["event_log"]),
            nameof(Ops.Core.Connectors.ConnectorException) => new Ops.Core.Connectors.ConnectorException("github.issues", secret),
            nameof(Ops.Core.Connectors.ConnectorDeniedException) => new Ops.Core.Connectors.ConnectorDeniedException("github.issues", "no capability"),
            nameof(System.Text.Json.JsonException) => new System.Text.Json.JsonException(secret),
            nameof(OpsException) => new OpsException(ReasonCodes.NotFound, "No such request. Nothing was changed."),
            _ => new IOException(secret),
        };

        var edge = EdgeErrors.Classify(exception);

        Assert.Equal(code, edge.Code);
        Assert.Equal(code, CliErrors.CodeOf(exception));
        Assert.Equal(EdgeReasons.For(code).ExitCode, CliErrors.ExitCodeOf(exception));
        Assert.DoesNotContain(secret, edge.Public, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(edge.Operator));
    }

    [Fact]
    public void AFileThatIsNotJson_SaysWhere_NotTheParsersWording()
    {
        var json = new System.Text.Json.JsonException("'x' is an invalid start of a value.", "$.payload", 2, 5);

        Assert.Equal("ops: a file given to this command is not valid JSON of the expected shape (line 3, at $.payload). Nothing was changed.", CliErrors.MessageOf(json));
        Assert.Equal(ReasonCodes.BadRequest, CliErrors.CodeOf(json));
    }

    [Fact]
    public void NoProductionSource_RecognisesAnErrorByItsMessageText()
    {
        var offenders = new List<string>();
        foreach (var folder in new[] { "src", "packs", "bench", "tools" })
        {
            var root = Path.Combine(HostProcess.RepoRoot, folder);
            if (!Directory.Exists(root))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal)))
            {
                var lines = File.ReadAllLines(file);
                for (var i = 0; i < lines.Length; i++)
                {
                    if (MessageTextMatch().IsMatch(lines[i]))
                    {
                        offenders.Add($"{Path.GetRelativePath(HostProcess.RepoRoot, file)}:{i + 1}: {lines[i].Trim()}");
                    }
                }
            }
        }

        Assert.True(offenders.Count == 0, "Errors recognised by message text (use a reason code or an exception type):" + Environment.NewLine + string.Join(Environment.NewLine, offenders));
    }

    [Fact]
    public void TheScan_FindsAPlantedViolation()
    {
        Assert.Matches(MessageTextMatch(), """if (ex.Message.Contains("stream", StringComparison.Ordinal))""");
        Assert.Matches(MessageTextMatch(), """return e.InnerException!.Message.StartsWith("UNIQUE");""");
        Assert.Matches(MessageTextMatch(), """when (ex.Message == "is installed")""");
        Assert.DoesNotMatch(MessageTextMatch(), """await error.WriteLineAsync("ops: " + ex.Message);""");
    }

    private sealed class RefusingDatabase(string message) : System.Data.Common.DbException(message);

    // Reading a message to decide: .Message.Contains/StartsWith/EndsWith/IndexOf/Replace/Equals, or == / != on it.
    [GeneratedRegex(@"\.Message\s*(\.\s*(Contains|StartsWith|EndsWith|IndexOf|Replace|Equals)\s*\(|[!=]=)")]
    private static partial Regex MessageTextMatch();
}
