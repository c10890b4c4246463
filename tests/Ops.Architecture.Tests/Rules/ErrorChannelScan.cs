using System.Text.RegularExpressions;

namespace Ops.Architecture.Tests.Rules;

/// <summary>
/// The one-error-channel rule (issue 21 item 3), as a scan of source text. It reads every <c>*.cs</c> file under
/// <c>src/</c> (the folder, not a list of projects, so a project added later, such as <c>src/Ops.Storage.*</c>, is
/// judged too; <c>bin/</c> and <c>obj/</c> are skipped) and enforces:
/// <list type="number">
/// <item>Every <c>throw new T(…)</c> names a <c>T</c> in <see cref="AllowedThrows"/>: an operator-facing failure is an
/// <c>OpsException</c> with a code from the catalogue (ReasonCodes), or one of the kernel's typed failures that the
/// host's one translator (Ops.Host's <c>EdgeErrors.Classify</c>) gives a code by type. Programmer-error guards may use
/// the argument exceptions, <c>UnreachableException</c> (an impossible state), <c>ObjectDisposedException</c> and
/// <c>NotSupportedException</c>; a parser may throw its format's exception (<c>JsonException</c>,
/// <c>InvalidDataException</c>, <c>CryptographicException</c>, a missing file or folder) where its caller catches and
/// words it. Refused, in particular: <c>InvalidOperationException</c>, bare <c>Exception</c>,
/// <c>ApplicationException</c>, <c>SystemException</c>, and any type not listed.</item>
/// <item>No class derives directly from <c>Exception</c> (or <c>InvalidOperationException</c>,
/// <c>ApplicationException</c>) unless it is one of those typed failures: a new exception type is a new channel, so it
/// gets its code in <c>EdgeErrors.Classify</c> and a line here first.</item>
/// </list>
/// </summary>
internal static partial class ErrorChannelScan
{
    /// <summary>The typed failures the host classifies by type (EdgeErrors.Classify); each is thrown and declared in src/.</summary>
    public static readonly IReadOnlySet<string> TypedFailures = new HashSet<string>(StringComparer.Ordinal)
    {
        "OpsException",
        "LogCommitException",           // log_unavailable
        "ProjectionFailedException",    // internal
        "RouteMissingException",        // configuration_invalid
        "ConnectorException",           // upstream_failed
        "ConnectorDeniedException",     // capability_denied
        "PackLoadException",            // pack_refused (the pack loader words it)
        "StreamConcurrencyException",   // concurrency_conflict (the gateway decides again); never leaves the kernel
    };

    /// <summary>Every exception type a <c>throw new</c> in src/ may name (the rule's first clause).</summary>
    public static readonly IReadOnlySet<string> AllowedThrows = new HashSet<string>(TypedFailures.Concat(
    [
        // Programmer-error guards: a caller broke a contract, or a state the code rules out was reached.
        "ArgumentException", "ArgumentNullException", "ArgumentOutOfRangeException", "UnreachableException", "ObjectDisposedException", "NotSupportedException",

        // A parser's or a reader's own failure, caught and worded (or turned into a finding with a code) by its caller.
        "JsonException", "InvalidDataException", "CryptographicException", "FileLoadException", "DirectoryNotFoundException",

        // The database's own failure (a DbException), which the edge classifies as log_unavailable.
        "SqliteException",
    ]), StringComparer.Ordinal);

    /// <summary>Every violation under <paramref name="root"/>/src, each as <c>path:line: what</c>.</summary>
    /// <param name="root">The repository root (or a planted copy of its layout).</param>
    public static IReadOnlyList<string> ScanTree(string root)
    {
        var src = Path.Combine(root, "src");
        IEnumerable<string> files = Directory.Exists(src)
            ? Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
                .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
            : [];
        var violations = new List<string>();
        foreach (var file in files)
        {
            violations.AddRange(ScanText(file, File.ReadAllText(Path.Combine(root, file))));
        }

        return violations;
    }

    /// <summary>The violations in one file's text, each as <c>path:line: text</c>.</summary>
    /// <param name="path">The file's path from the repository root, with '/' separators.</param>
    /// <param name="text">The file's content.</param>
    public static IEnumerable<string> ScanText(string path, string text)
    {
        foreach (Match match in ThrowNew().Matches(text))
        {
            var type = LastSegment(match.Groups["type"].Value);
            if (AllowedThrows.Contains(type))
            {
                continue;
            }

            yield return $"{path}:{LineOf(text, match.Index)}: throws {type}, which carries no reason code: {LineText(text, match.Index)}";
        }

        foreach (Match match in ExceptionClass().Matches(text))
        {
            var name = match.Groups["name"].Value;
            if (!TypedFailures.Contains(name))
            {
                yield return $"{path}:{LineOf(text, match.Index)}: declares exception type {name}, a new error channel: throw OpsException with a code, or classify the type in EdgeErrors.Classify and list it here";
            }
        }
    }

    private static string LastSegment(string qualified) => qualified[(qualified.LastIndexOf('.') + 1)..];

    private static int LineOf(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    private static string LineText(string text, int index)
    {
        var start = text.LastIndexOf('\n', Math.Max(index - 1, 0)) + 1;
        var end = text.IndexOf('\n', index);
        return text[start..(end < 0 ? text.Length : end)].Trim();
    }

    // throw new [global::]Namespace.Type(  — also across a line break after 'new'.
    [GeneratedRegex(@"\bthrow\s+new\s+(?:global::)?(?<type>[A-Za-z_][\w.]*)\s*\(")]
    private static partial Regex ThrowNew();

    // class Name[<T>][(primary constructor)] : [System.]Exception / InvalidOperationException / ApplicationException
    [GeneratedRegex(@"\bclass\s+(?<name>\w+)(?:<[^>]*>)?\s*(?:\([^)]*\))?\s*:\s*(?:global::)?(?:System\.)?(?:Exception|InvalidOperationException|ApplicationException)\b")]
    private static partial Regex ExceptionClass();
}
