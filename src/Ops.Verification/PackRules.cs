using Mono.Cecil;
using Mono.Cecil.Cil;
using Ops.Core.Errors;

namespace Ops.Verification;

/// <summary>What the rules need to know about the pack an assembly belongs to.</summary>
/// <param name="PackId">The manifest's pack id.</param>
/// <param name="Exports">Contract modules the pack exports (its own).</param>
/// <param name="DependsOn">Contract modules of other packs it declares.</param>
/// <param name="FolderAssemblies">Names of the managed assemblies in the pack's folder (its own code).</param>
internal sealed record PackAssemblyContext(string PackId, IReadOnlySet<string> Exports, IReadOnlySet<string> DependsOn, IReadOnlySet<string> FolderAssemblies);

/// <summary>
/// The one definition of the rules a pack's own assemblies must pass (constitution §7, §9; DESIGN.md §2).
/// The host runs them at install and at every load (<see cref="PackVerifier"/>); tests/Ops.Architecture.Tests
/// runs the same on the repository's packs and on the planted violations.
/// <para>Engines, and why:</para>
/// <list type="bullet">
/// <item><b>NetArchTest.Rules</b> (the design card's package) for every type-level rule: "no type depends on
/// any of these types or namespaces" (<see cref="TypeRules"/>), one <c>NotHaveDependencyOnAny</c> per rule.</item>
/// <item><b>Mono.Cecil</b> where NetArchTest cannot express the rule: members (<c>Environment.NewLine</c> is fine,
/// <c>Environment.GetEnvironmentVariable</c> is not; <c>new StreamReader(path)</c> opens a file, <c>new StreamReader(stream)</c>
/// does not; <c>new HttpClient()</c>; reflection member lookups on <c>System.Type</c>), method flags (P/Invoke,
/// <c>InternalCall</c>), unmanaged <c>calli</c>, and the assembly references (undeclared contracts, other packs'
/// implementations, data access). Also the types NetArchTest 1.3.2 never enumerates: it drops every type whose
/// name starts with System, Microsoft, netstandard, xunit, Mono.Cecil or NetArchTest.Rules, so hostile code
/// declared in <c>namespace System.Anything</c> would pass it unseen; Cecil checks those types against the same
/// <see cref="TypeRules"/>. Cecil also names the exact dependency of a type NetArchTest failed (NetArchTest only
/// says which types failed).</item>
/// </list>
/// Deny lists cannot name every way to reach a file or a socket through the framework; docs/pack-authoring.md
/// says what these rules do not catch.
/// </summary>
internal static class PackRules
{
    /// <summary>Type-level rules: no type of a pack assembly depends on any of these (a name covers what is under it).</summary>
    public static readonly IReadOnlyList<TypeRule> TypeRules =
    [
        new(PackRuleIds.DataAccess, "a pack never opens a database; the kernel stores its projection documents (constitution §9)",
        [
            "Microsoft.EntityFrameworkCore", "Microsoft.Data.Sqlite", "Microsoft.Data.SqlClient", "System.Data.SqlClient", "System.Data.Odbc",
            "System.Data.OleDb", "Npgsql", "NpgsqlTypes", "SQLitePCL", "System.Data.Common", "System.Data.IDbConnection", "System.Data.IDbCommand",
            "System.Data.IDbTransaction", "System.Data.IDataReader", "System.Data.IDbDataParameter",
        ]),
        new(PackRuleIds.CoreInternals, "Ops.Core's storage and secrets are the kernel's own, whatever their visibility", ["Ops.Core.Storage", "Ops.Core.Secrets"]),
        new(PackRuleIds.FileSystem, "a pack never reads or writes files; it gets credentials as kernel handles (constitution §9, §12)",
        [
            "System.IO.File", "System.IO.FileInfo", "System.IO.FileStream", "System.IO.FileSystemInfo", "System.IO.Directory", "System.IO.DirectoryInfo",
            "System.IO.DriveInfo", "System.IO.FileSystemWatcher", "System.IO.RandomAccess", "System.IO.Enumeration", "System.IO.MemoryMappedFiles",
            "System.IO.IsolatedStorage", "System.IO.Pipes", "System.IO.Compression.ZipFile", "System.IO.Compression.ZipFileExtensions",
            "System.Diagnostics.FileVersionInfo", "Microsoft.Win32.SafeHandles.SafeFileHandle", "Microsoft.Win32.Registry", "Microsoft.Extensions.FileProviders",
            "Microsoft.Extensions.Configuration.FileConfigurationExtensions", "Microsoft.Extensions.Configuration.JsonConfigurationExtensions",
            "Microsoft.Extensions.Configuration.UserSecrets", "Microsoft.Extensions.Hosting.Host", "System.Net.FileWebRequest",
        ]),
        new(PackRuleIds.Environment, "a pack never reads environment variables; configuration comes through its builder, secrets as kernel handles (constitution §12)",
        ["Microsoft.Extensions.Configuration.EnvironmentVariablesExtensions", "Microsoft.Extensions.Configuration.EnvironmentVariables"]),
        new(PackRuleIds.Process, "a pack never starts processes", ["System.Diagnostics.Process", "System.Diagnostics.ProcessStartInfo"]),
        new(PackRuleIds.NativeInterop, "native code runs outside every rule",
        [
            "System.Runtime.InteropServices.NativeLibrary", "System.Runtime.InteropServices.Marshal", "System.Runtime.InteropServices.NativeMemory",
            "System.Runtime.InteropServices.LibraryImportAttribute", "System.Runtime.InteropServices.DllImportAttribute", "System.Runtime.InteropServices.ComWrappers",
        ]),
        new(PackRuleIds.Reflection, "reflection and dynamic loading reach the kernel's internals, which the pack runs beside (an AssemblyLoadContext is not a security boundary)",
        [
            "System.Reflection.Emit", "System.Reflection.Assembly", "System.Reflection.Module", "System.Reflection.MethodBase", "System.Reflection.MethodInfo",
            "System.Reflection.ConstructorInfo", "System.Reflection.FieldInfo", "System.Reflection.PropertyInfo", "System.Reflection.EventInfo",
            "System.Reflection.TypeInfo", "System.Reflection.RuntimeReflectionExtensions", "System.Reflection.IntrospectionExtensions",
            "System.Reflection.DispatchProxy", "System.Reflection.Metadata", "System.Activator", "System.AppDomain", "System.Runtime.Loader",
            "System.Runtime.CompilerServices.UnsafeAccessorAttribute", "System.Runtime.CompilerServices.UnsafeAccessorKind", "System.Linq.Expressions",
            "System.ComponentModel.TypeDescriptor", "System.Runtime.Serialization.FormatterServices",
        ]),
        new(PackRuleIds.Egress, "outbound calls leave only through the kernel's fenced client (constitution §9: no egress bypass)",
        [
            "System.Net.Sockets", "System.Net.Http.HttpMessageHandler", "System.Net.Http.HttpClientHandler", "System.Net.Http.SocketsHttpHandler",
            "System.Net.Http.DelegatingHandler", "System.Net.Http.WinHttpHandler", "System.Net.WebClient", "System.Net.WebRequest", "System.Net.HttpWebRequest",
            "System.Net.FtpWebRequest", "System.Net.HttpListener", "System.Net.Quic", "System.Net.WebSockets.ClientWebSocket", "System.Net.Mail",
            "System.Net.NetworkInformation", "System.Net.Dns",
        ]),
    ];

    /// <summary>Data-access assemblies, by name prefix, refused as references.</summary>
    public static readonly IReadOnlyList<string> DataAccessAssemblies =
        ["Microsoft.EntityFrameworkCore", "Microsoft.Data.Sqlite", "Microsoft.Data.SqlClient", "System.Data.SqlClient", "System.Data.Odbc", "System.Data.OleDb", "Npgsql", "SQLitePCLRaw"];

    /// <summary>What NetArchTest 1.3.2's <c>Types</c> leaves out of every rule (its private exclusion list).</summary>
    private static readonly string[] NetArchTestExclusions = ["System", "Microsoft", "Mono.Cecil", "netstandard", "NetArchTest.Rules", "<Module>", "xunit"];

    /// <summary>Environment members that read nothing sensitive and change nothing.</summary>
    private static readonly HashSet<string> EnvironmentAllowed = new(StringComparer.Ordinal)
    {
        "get_NewLine", "get_ProcessorCount", "get_TickCount", "get_TickCount64", "get_CurrentManagedThreadId", "get_Is64BitProcess", "get_Is64BitOperatingSystem", "get_HasShutdownStarted", "get_StackTrace", "get_Version",
    };

    /// <summary>System.Type members that look members up by name (or all of them).</summary>
    private static readonly HashSet<string> TypeLookups = new(StringComparer.Ordinal)
    {
        "GetMethod", "GetMethods", "GetField", "GetFields", "GetProperty", "GetProperties", "GetMember", "GetMembers", "GetConstructor", "GetConstructors",
        "GetEvent", "GetEvents", "GetNestedType", "GetNestedTypes", "InvokeMember", "FindMembers", "GetDefaultMembers", "GetInterface", "GetTypeFromProgID", "GetTypeFromCLSID",
        "get_TypeInitializer", "GetMemberWithSameMetadataDefinitionAs",
    };

    private static readonly Lazy<IReadOnlyList<string>> CoreInternalNames = new(ReadCoreInternalNames);

    /// <summary>
    /// Runs every rule on one assembly of a pack. <paramref name="assemblyFile"/> is the file NetArchTest reads
    /// (a private copy of the snapshot's bytes); <paramref name="module"/> is the same bytes, read by Cecil.
    /// </summary>
    public static IReadOnlyList<PackFinding> Check(string assemblyFile, ModuleDefinition module, PackAssemblyContext context)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(context);
        var findings = new List<PackFinding>();
        var assembly = module.Assembly.Name.Name;
        var allTypes = module.GetTypes().ToDictionary(t => t.FullName, StringComparer.Ordinal);

        // NetArchTest: the type-level rules over the types it enumerates.
        var netArch = NetArchTest.Rules.Types.FromFile(assemblyFile);
        foreach (var rule in TypeRulesWithCoreInternals())
        {
            var result = netArch.Should().NotHaveDependencyOnAny([.. rule.Names]).GetResult();
            foreach (var failing in result.FailingTypeNames ?? [])
            {
                var type = allTypes.GetValueOrDefault(failing);
                var matched = type is null ? [] : MatchingDependencies(type, rule.Names);
                findings.Add(TypeFinding(rule, assembly, failing, matched.Count > 0 ? string.Join(", ", matched) : "one of " + string.Join(", ", rule.Names.Take(5)) + (rule.Names.Count > 5 ? ", ..." : string.Empty)));
            }
        }

        // Cecil: the same type-level rules over the types NetArchTest leaves out.
        foreach (var type in module.Types.Where(IsHiddenFromNetArchTest))
        {
            foreach (var rule in TypeRulesWithCoreInternals())
            {
                var matched = MatchingDependencies(type, rule.Names);
                if (matched.Count > 0)
                {
                    findings.Add(TypeFinding(rule, assembly, type.FullName, string.Join(", ", matched)));
                }
            }
        }

        findings.AddRange(MemberFindings(module, assembly));
        findings.AddRange(ReferenceFindings(module, assembly, context));
        return [.. findings.DistinctBy(f => (f.Rule, f.TypeName, f.Dependency))];
    }

    private static IEnumerable<TypeRule> TypeRulesWithCoreInternals() =>
        [.. TypeRules, new TypeRule(PackRuleIds.CoreInternals, "a pack sees only Ops.Core's public surface", CoreInternalNames.Value)];

    private static PackFinding TypeFinding(TypeRule rule, string assembly, string typeName, string dependency) =>
        new(rule.Id, ReasonCodes.PackRefused, $"{Display(typeName)} ({assembly}) depends on {dependency}: {rule.Why}.", Display(typeName), dependency);

    /// <summary>Member-level rules (Cecil), over every type, compiler-generated ones included.</summary>
    private static IEnumerable<PackFinding> MemberFindings(ModuleDefinition module, string assembly)
    {
        foreach (var type in module.GetTypes())
        {
            var owner = Display(AuthoredOwner(type).FullName);
            foreach (var method in type.Methods)
            {
                if (method.IsPInvokeImpl)
                {
                    yield return Member(PackRuleIds.NativeInterop, assembly, owner, $"P/Invoke {method.Name} ({method.PInvokeInfo?.Module?.Name ?? "native"})", "declares a P/Invoke method: native code runs outside every rule");
                }

                if (method.IsInternalCall)
                {
                    yield return Member(PackRuleIds.NativeInterop, assembly, owner, $"InternalCall {method.Name}", "declares an internal call into the runtime");
                }

                if (!method.HasBody)
                {
                    continue;
                }

                foreach (var instruction in method.Body.Instructions)
                {
                    if (instruction.OpCode == OpCodes.Calli && instruction.Operand is CallSite site && site.CallingConvention != MethodCallingConvention.Default)
                    {
                        yield return Member(PackRuleIds.NativeInterop, assembly, owner, $"an unmanaged function pointer call in {method.Name}", "calls native code through a function pointer");
                    }

                    if (instruction.Operand is MethodReference target && MemberRule(instruction, target) is { } hit)
                    {
                        yield return Member(hit.Rule, assembly, owner, $"{target.DeclaringType.FullName}.{target.Name}", hit.Why);
                    }
                }
            }
        }
    }

    private static (string Rule, string Why)? MemberRule(Instruction instruction, MethodReference target)
    {
        var declaring = target.DeclaringType.FullName;
        var firstIsString = target.Parameters.Count > 0 && target.Parameters[0].ParameterType.FullName == "System.String";
        return (declaring, target.Name) switch
        {
            ("System.Environment", var name) when !EnvironmentAllowed.Contains(name) =>
                (PackRuleIds.Environment, "reads or changes the worker's environment (variables, folders, command line, exit): a pack never reads raw credentials (constitution §12)"),
            ("System.IO.StreamReader" or "System.IO.StreamWriter", ".ctor") when firstIsString =>
                (PackRuleIds.FileSystem, "opens a file by path"),
            ("System.Xml.XmlReader", "Create") or ("System.Xml.XmlDocument", "Load") or ("System.Xml.Linq.XDocument", "Load") or ("System.Xml.Linq.XElement", "Load") when firstIsString =>
                (PackRuleIds.FileSystem, "reads a file by path"),
            ("System.Security.Cryptography.X509Certificates.X509Certificate2", ".ctor") when firstIsString =>
                (PackRuleIds.FileSystem, "reads a certificate file by path"),
            ("System.Security.Cryptography.X509Certificates.X509Certificate2", "CreateFromPemFile" or "CreateFromEncryptedPemFile")
                or ("System.Security.Cryptography.X509Certificates.X509CertificateLoader", "LoadCertificateFromFile" or "LoadPkcs12FromFile" or "LoadPkcs12CollectionFromFile") =>
                (PackRuleIds.FileSystem, "reads a key or certificate file"),
            ("System.Type", var name) when TypeLookups.Contains(name) || (name == "GetType" && firstIsString && !target.HasThis) =>
                (PackRuleIds.Reflection, "looks up members or types by name, which reaches the kernel's internals"),
            ("System.Delegate", "CreateDelegate") when target.Parameters.Any(p => p.ParameterType.FullName == "System.String") =>
                (PackRuleIds.Reflection, "binds a delegate to a method by name"),
            ("System.Runtime.CompilerServices.RuntimeHelpers", "GetUninitializedObject" or "RunClassConstructor" or "RunModuleConstructor" or "PrepareMethod") =>
                (PackRuleIds.Reflection, "creates objects or runs initializers behind their constructors"),
            ("System.Net.Http.HttpClient" or "System.Net.Http.HttpMessageInvoker", ".ctor") when instruction.OpCode == OpCodes.Newobj =>
                (PackRuleIds.Egress, "makes its own HTTP client: use the kernel's credentialed client (IConnectorContext.CreateHttpClientAsync)"),
            _ => null,
        };
    }

    private static PackFinding Member(string rule, string assembly, string owner, string dependency, string why) =>
        new(rule, ReasonCodes.PackRefused, $"{owner} ({assembly}) uses {dependency}: {why}.", owner, dependency);

    /// <summary>Assembly-level rules (Cecil): the references a reader of the pack's metadata sees.</summary>
    private static IEnumerable<PackFinding> ReferenceFindings(ModuleDefinition module, string assembly, PackAssemblyContext context)
    {
        foreach (var reference in module.AssemblyReferences.Select(r => r.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (DataAccessAssemblies.Any(d => reference == d || reference.StartsWith(d + ".", StringComparison.Ordinal)))
            {
                yield return new(PackRuleIds.DataAccess, ReasonCodes.PackRefused, $"{assembly} references {reference}: a pack never opens a database (constitution §9).", null, reference);
            }
            else if (reference.EndsWith(".Contracts", StringComparison.Ordinal))
            {
                if (!context.Exports.Contains(reference) && !context.DependsOn.Contains(reference))
                {
                    yield return new(PackRuleIds.DeclaredContracts, ReasonCodes.PackRefused, $"{assembly} references contract module {reference}, which pack '{context.PackId}' neither exports nor lists in depends_on: add \"{reference}\" to depends_on in pack.json (it is loaded from the pack that exports it, and must be installed first).", null, reference);
                }
            }
            else if (reference == "Ops.Host" || (reference.StartsWith("Ops.Packs.", StringComparison.Ordinal) && !context.FolderAssemblies.Contains(reference)))
            {
                yield return new(PackRuleIds.OtherPacks, ReasonCodes.PackRefused, $"{assembly} references {reference}: a pack depends on Ops.Core, Ops.Shared and contract modules only (constitution §7).", null, reference);
            }
        }
    }

    /// <summary>The dependencies of a type (its nested types included) that fall under any of <paramref name="names"/>.</summary>
    private static List<string> MatchingDependencies(TypeDefinition type, IReadOnlyList<string> names) =>
        [.. CecilDependencies.Of(type).Where(d => names.Any(n => Covers(n, d))).Order(StringComparer.Ordinal)];

    /// <summary>A name covers itself and what is under it: <c>System.IO.File</c> covers <c>System.IO.File/X</c>, not <c>System.IO.FileInfo</c>.</summary>
    private static bool Covers(string name, string dependency) =>
        dependency == name || (dependency.Length > name.Length && dependency.StartsWith(name, StringComparison.Ordinal) && dependency[name.Length] is '.' or '/');

    private static bool IsHiddenFromNetArchTest(TypeDefinition type) => NetArchTestExclusions.Any(e => Covers(e, type.FullName));

    private static TypeDefinition AuthoredOwner(TypeDefinition type)
    {
        while (type.DeclaringType is not null && type.Name.StartsWith('<'))
        {
            type = type.DeclaringType;
        }

        return type;
    }

    private static string Display(string cecilName) => cecilName.Replace('/', '+');

    /// <summary>Every non-public type of the host's Ops.Core, under the Ops.Core namespace (compiler-embedded attributes left out).</summary>
    private static IReadOnlyList<string> ReadCoreInternalNames()
    {
        using var core = ModuleDefinition.ReadModule(typeof(Ops.Core.Packs.IOpsPack).Assembly.Location);
        return [.. core.GetTypes()
            .Where(t => !t.Name.StartsWith('<') && Covers("Ops.Core", t.FullName) && !IsVisibleOutside(t))
            .Select(t => t.FullName)
            .Order(StringComparer.Ordinal)];
    }

    private static bool IsVisibleOutside(TypeDefinition type) =>
        type.DeclaringType is null ? type.IsPublic : (type.IsNestedPublic || type.IsNestedFamily || type.IsNestedFamilyOrAssembly) && IsVisibleOutside(type.DeclaringType);
}

/// <summary>A type-level rule: an id, why it exists, and the type or namespace names no pack type may depend on.</summary>
internal sealed record TypeRule(string Id, string Why, IReadOnlyList<string> Names);
