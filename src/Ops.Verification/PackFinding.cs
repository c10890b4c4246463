namespace Ops.Verification;

/// <summary>One reason a pack is refused: the rule, the reason code for the edge, and a sentence naming the type and what it depends on.</summary>
/// <param name="Rule">A <see cref="PackRuleIds"/> id.</param>
/// <param name="Code">A code from <see cref="Ops.Core.Errors.ReasonCodes"/>.</param>
/// <param name="Message">What is wrong and, where there is one, what to do.</param>
/// <param name="TypeName">The offending type (reflection style, nested with '+'), when a type is at fault.</param>
/// <param name="Dependency">The forbidden dependency (type, member or assembly), when there is one.</param>
public sealed record PackFinding(string Rule, string Code, string Message, string? TypeName = null, string? Dependency = null)
{
    /// <summary><c>[rule] message</c>, the line the CLI prints.</summary>
    /// <returns>The line.</returns>
    public override string ToString() => $"[{Rule}] {Message}";
}

/// <summary>The ids of the install checks, as docs/pack-authoring.md lists them.</summary>
internal static class PackRuleIds
{
    public const string Manifest = "manifest";
    public const string ContentHash = "content-hash";
    public const string Signature = "signature";
    public const string DataAccess = "no-data-access";
    public const string CoreInternals = "no-core-internals";
    public const string Environment = "no-environment";
    public const string FileSystem = "no-file-system";
    public const string Process = "no-process";
    public const string NativeInterop = "no-native-interop";
    public const string Reflection = "no-reflection";
    public const string OtherPacks = "no-other-pack-implementation";
    public const string Egress = "no-egress-bypass";
    public const string DeclaredContracts = "declared-contracts";
}
