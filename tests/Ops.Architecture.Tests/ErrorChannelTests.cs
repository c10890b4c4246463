using Ops.Architecture.Tests.Layout;
using Ops.Architecture.Tests.Rules;

namespace Ops.Architecture.Tests;

/// <summary>
/// Issue 21 item 3, one error channel: no source under src/ throws a failure without a reason code, and no new
/// exception type opens another channel. The rule, and what it allows, is written on <see cref="ErrorChannelScan"/>;
/// these tests run it on the repository and show it failing on planted violations.
/// </summary>
public sealed class ErrorChannelTests
{
    [Fact]
    public void NoSourceUnderSrc_ThrowsAnUncodedFailure()
    {
        var violations = ErrorChannelScan.ScanTree(Repository.Root);

        Assert.True(violations.Count == 0, "Uncoded failures (throw OpsException with a code from ReasonCodes; see ErrorChannelScan for what else is allowed):" + Environment.NewLine + string.Join(Environment.NewLine, violations));
    }

    [Theory]
    [InlineData("""throw new InvalidOperationException("The database is not initialized.");""", "InvalidOperationException")]
    [InlineData("""var key = file ?? throw new System.InvalidOperationException($"No key {id}.");""", "InvalidOperationException")]
    [InlineData("""_ => throw new global::System.InvalidOperationException("unknown"),""", "InvalidOperationException")]
    [InlineData("""throw new Exception("boom");""", "Exception")]
    [InlineData("""throw new ApplicationException("boom");""", "ApplicationException")]
    [InlineData("""throw new TimeoutException("the upstream took too long");""", "TimeoutException")]
    [InlineData("throw new\n    InvalidOperationException(\"split over two lines\");", "InvalidOperationException")]
    public void TheScan_RefusesAPlantedUncodedThrow(string line, string type)
    {
        var text = "namespace Planted;\n\ninternal static class Planted\n{\n    public static void Run()\n    {\n        " + line + "\n    }\n}\n";

        var violation = Assert.Single(ErrorChannelScan.ScanText("src/Ops.Core/Planted.cs", text));

        Assert.StartsWith("src/Ops.Core/Planted.cs:7: throws " + type + ",", violation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""throw new OpsException(ReasonCodes.NotFound, "No such request. Nothing was changed.");""")]
    [InlineData("""throw new Errors.OpsException(Errors.ReasonCodes.LogUnavailable, "The log could not commit.", ex);""")]
    [InlineData("""ArgumentNullException.ThrowIfNull(value); throw new ArgumentOutOfRangeException(nameof(limit));""")]
    [InlineData("""_ => throw new System.Diagnostics.UnreachableException("A ready command does not stop."),""")]
    [InlineData("""throw new LogCommitException(batch.Count, ex);""")]
    [InlineData("""catch (InvalidOperationException) { throw; }""")]
    [InlineData("""/// <exception cref="InvalidOperationException">Never thrown any more.</exception>""")]
    public void TheScan_AllowsCodedThrowsAndGuards(string line)
    {
        Assert.Empty(ErrorChannelScan.ScanText("src/Ops.Core/Planted.cs", line));
    }

    [Fact]
    public void TheScan_RefusesAPlantedExceptionType()
    {
        const string text = "namespace Planted;\n\npublic sealed class QuotaExceededException(string message) : Exception(message);\n\ninternal sealed class OtherFailure : System.InvalidOperationException\n{\n}\n";

        var violations = ErrorChannelScan.ScanText("src/Ops.Core/Planted.cs", text).ToList();

        Assert.Equal(2, violations.Count);
        Assert.StartsWith("src/Ops.Core/Planted.cs:3: declares exception type QuotaExceededException", violations[0], StringComparison.Ordinal);
        Assert.StartsWith("src/Ops.Core/Planted.cs:5: declares exception type OtherFailure", violations[1], StringComparison.Ordinal);
    }

    [Fact]
    public void TheTreeScan_ReadsEveryProjectUnderSrc_AndSkipsBuildOutput()
    {
        var root = Path.Combine(Path.GetTempPath(), "ops-error-channel-" + Guid.NewGuid().ToString("N"));
        try
        {
            // A project that does not exist in the repository: the scan finds it by the folder, not by a list.
            Write(root, "src/Ops.Storage.Planted/PlantedEngine.cs", "namespace P;\ninternal static class E\n{\n    public static void Open() => throw new InvalidOperationException(\"Route 'event_log' has no ConnectionString.\");\n}\n");
            Write(root, "src/Ops.Storage.Planted/obj/Debug/Generated.cs", "throw new InvalidOperationException(\"generated\");");
            Write(root, "src/Ops.Core/Hosting/Fine.cs", "throw new OpsException(ReasonCodes.ConfigurationInvalid, \"Invalid configuration. Nothing was started.\");");

            var violation = Assert.Single(ErrorChannelScan.ScanTree(root));

            Assert.StartsWith("src/Ops.Storage.Planted/PlantedEngine.cs:4: throws InvalidOperationException,", violation, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Write(string root, string relativePath, string text)
    {
        var path = Path.Combine(root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
