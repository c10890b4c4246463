namespace Ops.Verification;

/// <summary>One reason a pack is refused: the rule, the reason code for the edge, and a sentence naming the type and what it depends on.</summary>
/// <param name="Rule">A <see cref="PackRuleIds"/> id.</param>
/// <param name="Code">A code from <see cref="Ops.Core.Errors.ReasonCodes"/>.</param>
/// <param name="Message">What is wrong and, where there is one, what to do.</param>
/// <param name="TypeName">The offending type (reflection style, nested with '+'), when a type is at fault.</param>
/// <param name="Dependency">The forbidden dependency (type, member or assembly), when there is one.</param>
public sealed record PackFinding(string Rule, string Code, string Message, string? TypeName = null, string? Dependency = null)
{
    /// <summary>The file of the pack folder the finding is in (relative path), when an assembly is at fault.</summary>
    public string? File { get; init; }

    /// <summary>The member of <see cref="TypeName"/> where the dependency is used (a method, field, property or event), or <c>(type)</c> for its declaration.</summary>
    public string? Member { get; init; }

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

    /// <summary>A contract registry shipped beside an exported contract module does not describe that module (issue 16 item 5).</summary>
    public const string ContractRegistry = "contract-registry";
    public const string NotOnAllowList = "not-on-allow-list";
    public const string UnknownAssembly = "unknown-assembly";
    public const string ClockOrRandomness = "no-clock-or-randomness";
    public const string Threads = "no-threads";
    public const string ConfigurationOrHosting = "no-configuration-or-hosting";
    public const string ServiceLocation = "no-service-location";
    public const string DiagnosticsListeners = "no-diagnostics-listeners";
    public const string XmlResolver = "no-xml-resolver";
    public const string Console = "no-console";
    public const string GarbageCollector = "no-gc";
    public const string Emit = "no-emit";
    public const string Dynamic = "no-dynamic";
    public const string UnsafeCode = "no-unsafe-code";
    public const string ModuleInitializer = "no-module-initializer";
    public const string Finalizer = "no-finalizer";
    public const string AsyncVoid = "no-async-void";
    public const string TypeForwarding = "no-type-forwarding";
    public const string AccessCheckBypass = "no-access-check-bypass";
}
