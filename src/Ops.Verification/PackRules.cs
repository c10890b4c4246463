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
/// The allow-list over a pack assembly's IL and metadata (constitution §7, §9; DESIGN.md §2), run by the host at
/// install and at every load (<see cref="PackVerifier"/>) and by tests/Ops.Architecture.Tests on the repository's
/// packs and planted violations. Every type and member a pack assembly names must be (a) its own or another
/// assembly of its folder, (b) Ops.Core's pack-facing API (the <c>[kernel]</c> part of allow-list.txt) or Ops.Shared,
/// (c) a contract module the manifest declares, or (d) on the <c>[framework]</c> part of allow-list.txt. Whatever they
/// name, P/Invoke, internal calls, <c>calli</c>, function pointers, pointers, <c>localloc</c>, module initializers,
/// finalizers, <c>async void</c>, type forwarders and <c>IgnoresAccessChecksTo</c> are refused.
/// <para>
/// Where a name is refused, the rule id says why in the terms of the constitution (<see cref="Classify"/>); the allow-list
/// decided, the classification only explains. Everything is read from metadata: nothing of the pack is loaded or run.
/// </para>
/// </summary>
internal static class PackRules
{
    /// <summary>Data-access assemblies, by name prefix, refused as references.</summary>
    public static readonly IReadOnlyList<string> DataAccessAssemblies =
        ["Microsoft.EntityFrameworkCore", "Microsoft.Data.Sqlite", "Microsoft.Data.SqlClient", "System.Data.SqlClient", "System.Data.Odbc", "System.Data.OleDb", "Npgsql", "SQLitePCLRaw"];

    /// <summary>
    /// Why a name that is not on the allow-list is refused, most specific first: a prefix (namespace, type, or
    /// <c>Type::member</c>), the rule and one sentence. The last resort is <see cref="PackRuleIds.NotOnAllowList"/>.
    /// </summary>
    internal static readonly IReadOnlyList<(string Prefix, string Rule, string Why)> Classification =
    [
        ("System.Runtime.CompilerServices.AsyncVoidMethodBuilder", PackRuleIds.AsyncVoid, "an exception from an async void method ends the worker process; return Task or ValueTask"),
        ("System.Runtime.CompilerServices.ModuleInitializerAttribute", PackRuleIds.ModuleInitializer, "a module initializer runs as soon as the assembly loads, before any check could stop it"),
        ("System.Runtime.CompilerServices.IgnoresAccessChecksToAttribute", PackRuleIds.AccessCheckBypass, "it switches off the runtime's access checks on the kernel's internals"),
        ("System.Runtime.CompilerServices.UnsafeAccessorAttribute", PackRuleIds.Reflection, "it reaches private members of the kernel, which the pack runs beside"),
        ("System.Runtime.CompilerServices.Unsafe", PackRuleIds.UnsafeCode, "unchecked memory access reads and writes anything in the process"),
        ("System.Runtime.CompilerServices.DynamicAttribute", PackRuleIds.Dynamic, "dynamic binds members by name at run time, past every check"),
        ("System.Runtime.CompilerServices.CallSite", PackRuleIds.Dynamic, "dynamic binds members by name at run time, past every check"),
        ("System.Runtime.CompilerServices.RuntimeHelpers", PackRuleIds.Reflection, "creates objects or runs initializers behind their constructors"),
        ("Microsoft.CSharp", PackRuleIds.Dynamic, "dynamic binds members by name at run time, past every check"),
        ("System.Dynamic", PackRuleIds.Dynamic, "dynamic binds members by name at run time, past every check"),
        ("Microsoft.EntityFrameworkCore", PackRuleIds.DataAccess, "a pack never opens a database; the kernel stores its projection documents (constitution §9)"),
        ("Microsoft.Data", PackRuleIds.DataAccess, "a pack never opens a database; the kernel stores its projection documents (constitution §9)"),
        ("System.Data", PackRuleIds.DataAccess, "a pack never opens a database; the kernel stores its projection documents (constitution §9)"),
        ("Npgsql", PackRuleIds.DataAccess, "a pack never opens a database; the kernel stores its projection documents (constitution §9)"),
        ("SQLitePCL", PackRuleIds.DataAccess, "a pack never opens a database; the kernel stores its projection documents (constitution §9)"),
        ("System.DateTime::get_Now", PackRuleIds.ClockOrRandomness, "reads the wall clock: take time from the context (CommandContext.Now), so projections replay the same"),
        ("System.DateTime::get_UtcNow", PackRuleIds.ClockOrRandomness, "reads the wall clock: take time from the context (CommandContext.Now), so projections replay the same"),
        ("System.DateTime::get_Today", PackRuleIds.ClockOrRandomness, "reads the wall clock: take time from the context (CommandContext.Now), so projections replay the same"),
        ("System.DateTimeOffset::get_Now", PackRuleIds.ClockOrRandomness, "reads the wall clock: take time from the context (CommandContext.Now), so projections replay the same"),
        ("System.DateTimeOffset::get_UtcNow", PackRuleIds.ClockOrRandomness, "reads the wall clock: take time from the context (CommandContext.Now), so projections replay the same"),
        ("System.TimeProvider::get_System", PackRuleIds.ClockOrRandomness, "the system clock: use the TimeProvider the kernel hands you (ConnectorPullContext.Time)"),
        ("System.Diagnostics.Stopwatch*", PackRuleIds.ClockOrRandomness, "reads a clock: take time from the context"),
        ("System.Guid::NewGuid", PackRuleIds.ClockOrRandomness, "a random id cannot dedupe: derive ids from content (DeterministicIds)"),
        ("System.Guid::CreateVersion7", PackRuleIds.ClockOrRandomness, "a random, clock-based id cannot dedupe: derive ids from content (DeterministicIds)"),
        ("System.Random", PackRuleIds.ClockOrRandomness, "randomness makes decisions and projections differ on replay"),
        ("System.Security.Cryptography.RandomNumberGenerator", PackRuleIds.ClockOrRandomness, "randomness makes decisions and projections differ on replay"),
        ("System.Environment::get_TickCount", PackRuleIds.ClockOrRandomness, "reads a clock: take time from the context"),
        ("System.Environment::get_TickCount64", PackRuleIds.ClockOrRandomness, "reads a clock: take time from the context"),
        ("System.Environment", PackRuleIds.Environment, "reads or changes the worker's environment (variables, folders, command line, exit): a pack never reads raw credentials (constitution §12)"),
        ("System.AppContext", PackRuleIds.Environment, "reads or changes the worker's process-wide settings"),
        ("System.AppDomain", PackRuleIds.Reflection, "reaches every assembly of the process, the kernel's included"),
        ("Microsoft.Extensions.Configuration.EnvironmentVariables", PackRuleIds.Environment, "reads environment variables: a pack never reads raw credentials (constitution §12)"),
        ("Microsoft.Extensions.Configuration.EnvironmentVariablesExtensions", PackRuleIds.Environment, "reads environment variables: a pack never reads raw credentials (constitution §12)"),
        ("Microsoft.Extensions.Configuration.KeyPerFile", PackRuleIds.FileSystem, "reads files as configuration: a pack gets credentials as kernel handles (constitution §12)"),
        ("Microsoft.Extensions.Configuration", PackRuleIds.ConfigurationOrHosting, "builds its own configuration, which reads the worker's files, environment and secrets: use the section IPackBuilder.Configuration hands you"),
        ("Microsoft.Extensions.Hosting", PackRuleIds.ConfigurationOrHosting, "builds a host of its own, with the worker's configuration, files and environment"),
        ("Microsoft.AspNetCore", PackRuleIds.ConfigurationOrHosting, "a pack serves nothing of its own: the kernel's API serves its queries"),
        ("System.Configuration", PackRuleIds.ConfigurationOrHosting, "reads the worker's configuration files"),
        ("Microsoft.Extensions.DependencyInjection.HttpClientFactoryServiceCollectionExtensions", PackRuleIds.Egress, "registers HTTP clients of its own: outbound calls leave only through the kernel's fenced client (constitution §9: no egress bypass)"),
        ("Microsoft.Extensions.Http", PackRuleIds.Egress, "makes its own HTTP clients: outbound calls leave only through the kernel's fenced client (constitution §9: no egress bypass)"),
        ("Microsoft.Extensions.DependencyInjection", PackRuleIds.ServiceLocation, "locates or activates services by type, which reaches the kernel's own: register with IPackBuilder and take what the handler is given"),
        ("System.IServiceProvider", PackRuleIds.ServiceLocation, "locates services by type, which reaches the kernel's own"),
        ("System.ComponentModel.Design", PackRuleIds.ServiceLocation, "locates services by type, which reaches the kernel's own"),
        ("Scrutor", PackRuleIds.ServiceLocation, "scans assemblies and activates what it finds, the kernel's types included"),
        ("System.IO.File*", PackRuleIds.FileSystem, "a pack never reads or writes files; it gets credentials as kernel handles (constitution §9, §12)"),
        ("System.IO.Directory*", PackRuleIds.FileSystem, "a pack never reads or writes files"),
        ("System.IO.Drive*", PackRuleIds.FileSystem, "a pack never reads or writes files"),
        ("System.IO.Path", PackRuleIds.FileSystem, "a pack never reads or writes files"),
        ("System.IO.StreamReader", PackRuleIds.FileSystem, "opens files by path"),
        ("System.IO.StreamWriter", PackRuleIds.FileSystem, "opens files by path"),
        ("System.IO.Enumeration", PackRuleIds.FileSystem, "a pack never reads or writes files"),
        ("System.IO.MemoryMappedFiles", PackRuleIds.FileSystem, "a pack never reads or writes files"),
        ("System.IO.IsolatedStorage", PackRuleIds.FileSystem, "a pack never reads or writes files"),
        ("System.IO.Pipes", PackRuleIds.FileSystem, "a pack never opens pipes to other processes"),
        ("System.IO.Compression.ZipFile", PackRuleIds.FileSystem, "a pack never reads or writes files"),
        ("System.IO.RandomAccess", PackRuleIds.FileSystem, "a pack never reads or writes files"),
        ("System.Diagnostics.FileVersionInfo", PackRuleIds.FileSystem, "reads files"),
        ("Microsoft.Win32", PackRuleIds.FileSystem, "reads the registry or file handles"),
        ("Microsoft.Extensions.FileProviders", PackRuleIds.FileSystem, "a pack never reads or writes files"),
        ("Microsoft.Extensions.FileSystemGlobbing", PackRuleIds.FileSystem, "a pack never reads or writes files"),
        ("System.Diagnostics.Process*", PackRuleIds.Process, "a pack never starts processes"),
        ("System.Diagnostics.DiagnosticListener", PackRuleIds.DiagnosticsListeners, "a listener sees every request the worker makes, credentials included"),
        ("System.Diagnostics.DiagnosticSource", PackRuleIds.DiagnosticsListeners, "a listener sees every request the worker makes, credentials included"),
        ("System.Diagnostics.Activity*", PackRuleIds.DiagnosticsListeners, "activity listeners see the worker's requests and their tags"),
        ("System.Diagnostics.Tracing", PackRuleIds.DiagnosticsListeners, "event listeners see the runtime's and the worker's events"),
        ("System.Diagnostics.Metrics", PackRuleIds.DiagnosticsListeners, "meter listeners see the worker's measurements"),
        ("System.Diagnostics.Trace*", PackRuleIds.DiagnosticsListeners, "trace listeners are process-wide"),
        ("System.Diagnostics.Debug", PackRuleIds.DiagnosticsListeners, "trace listeners are process-wide"),
        ("Microsoft.Extensions.Diagnostics", PackRuleIds.DiagnosticsListeners, "listens to the worker's diagnostics"),
        ("System.Diagnostics", PackRuleIds.Process, "reaches processes, debuggers and the stack of the worker"),
        ("System.Threading.Tasks.Task::Run", PackRuleIds.Threads, "runs work on the thread pool, outside the call the kernel made: decide in the handler, asynchronously"),
        ("System.Threading.Tasks.Task::Delay", PackRuleIds.Threads, "starts a timer: the kernel schedules retries (connectors, egress)"),
        ("System.Threading.Tasks.Task::WaitAsync", PackRuleIds.Threads, "a timeout is a timer: it resumes pack code after a delay, like Task.Delay"),
        ("System.Threading.Tasks.Task`1::WaitAsync", PackRuleIds.Threads, "a timeout is a timer: it resumes pack code after a delay, like Task.Delay"),
        ("System.Threading.Tasks.Task`1::get_Factory", PackRuleIds.Threads, "starts work on the thread pool"),
        ("System.Threading.Tasks.Task`1::ContinueWith", PackRuleIds.Threads, "schedules continuations on a scheduler of its own choosing"),
        ("System.Threading.Tasks.Task::ContinueWith", PackRuleIds.Threads, "schedules continuations on a scheduler of its own choosing"),
        ("System.Threading.Tasks.Task::RunSynchronously", PackRuleIds.Threads, "runs a task outside the kernel's call"),
        ("System.TimeProvider::CreateTimer", PackRuleIds.Threads, "a timer runs pack code outside any call the kernel made"),
        ("System.Threading.Tasks.Task::Yield", PackRuleIds.Threads, "schedules the rest of the method on the thread pool"),
        ("System.Threading.Tasks.Task::get_Factory", PackRuleIds.Threads, "starts work on the thread pool"),
        ("System.Threading.Tasks.Task::Start", PackRuleIds.Threads, "starts work on the thread pool"),
        ("System.Threading.CancellationTokenSource::CancelAfter", PackRuleIds.Threads, "starts a timer"),
        ("System.Threading.CancellationTokenSource::.ctor", PackRuleIds.Threads, "a source with a delay starts a timer"),
        ("System.Threading.Timer", PackRuleIds.Threads, "a timer runs pack code outside any call the kernel made"),
        ("System.Timers", PackRuleIds.Threads, "a timer runs pack code outside any call the kernel made"),
        ("System.Threading.Thread*", PackRuleIds.Threads, "a thread of its own runs pack code outside any call the kernel made"),
        ("System.Threading", PackRuleIds.Threads, "threads, the thread pool, timers and locks run or block pack code outside the kernel's calls"),
        ("System.GC", PackRuleIds.GarbageCollector, "steers the worker's garbage collector, which every pack and the kernel share"),
        ("System.Runtime.GCSettings", PackRuleIds.GarbageCollector, "steers the worker's garbage collector"),
        ("System.Runtime.MemoryFailPoint", PackRuleIds.GarbageCollector, "steers the worker's memory"),
        ("System.WeakReference*", PackRuleIds.GarbageCollector, "observes the garbage collector"),
        ("System.Runtime.InteropServices", PackRuleIds.NativeInterop, "native code and raw memory run outside every rule"),
        ("System.Runtime.Intrinsics", PackRuleIds.UnsafeCode, "hardware intrinsics read memory by pointer"),
        ("System.Reflection.Emit", PackRuleIds.Emit, "emitted code is written after the check and never seen by it"),
        ("System.Reflection", PackRuleIds.Reflection, "reflection reaches the kernel's internals, which the pack runs beside (an AssemblyLoadContext is not a security boundary)"),
        ("System.Type", PackRuleIds.Reflection, "reflection reaches the kernel's internals, which the pack runs beside"),
        ("System.Object::GetType", PackRuleIds.Reflection, "hands out the run-time type, the door to reflection over the kernel's objects"),
        ("System.Delegate", PackRuleIds.Reflection, "binds or invokes methods by reflection"),
        ("System.MulticastDelegate", PackRuleIds.Reflection, "binds or invokes methods by reflection"),
        ("System.Activator", PackRuleIds.ServiceLocation, "creates objects of any type by name or Type, the kernel's included"),
        ("System.Runtime.Loader", PackRuleIds.Reflection, "loads assemblies behind the verifier's back"),
        ("System.Linq.Expressions", PackRuleIds.Reflection, "expression trees compile to code at run time and reach members by reflection"),
        ("System.ComponentModel", PackRuleIds.Reflection, "type descriptors reach members by reflection"),
        ("System.Runtime.Serialization", PackRuleIds.Reflection, "creates objects behind their constructors"),
        ("System.Xml.XmlResolver", PackRuleIds.XmlResolver, "an XML resolver reads files and fetches URLs"),
        ("System.Xml.XmlUrlResolver", PackRuleIds.XmlResolver, "an XML resolver reads files and fetches URLs"),
        ("System.Xml.XmlSecureResolver", PackRuleIds.XmlResolver, "an XML resolver reads files and fetches URLs"),
        ("System.Xml.Resolvers", PackRuleIds.XmlResolver, "an XML resolver reads files and fetches URLs"),
        ("System.Xml", PackRuleIds.XmlResolver, "XML readers, documents and transforms resolve external entities, files and URLs"),
        ("System.Net.Http.HttpClient::.ctor", PackRuleIds.Egress, "makes its own HTTP client: use the kernel's credentialed client (IConnectorContext.CreateHttpClientAsync)"),
        ("System.Net.Http.HttpMessageInvoker::.ctor", PackRuleIds.Egress, "makes its own HTTP client: use the kernel's credentialed client"),
        ("System.Net", PackRuleIds.Egress, "outbound calls leave only through the kernel's fenced client (constitution §9: no egress bypass)"),
        ("System.Console", PackRuleIds.Console, "reads the worker's input and writes past its logs: log through ILogger"),
        ("System.Security.Cryptography.X509Certificates", PackRuleIds.FileSystem, "reads certificates and keys from files and stores: a pack gets credentials as kernel handles (constitution §12)"),
        ("System.Security.Principal", PackRuleIds.Environment, "reads the worker's identity"),
    ];

    /// <summary>Generic types that never construct their type arguments: an unconstructible type may be their argument.</summary>
    private static readonly HashSet<string> NonConstructing = new(StringComparer.Ordinal)
    {
        "System.Threading.Tasks.Task`1", "System.Threading.Tasks.ValueTask`1", "System.Threading.Tasks.TaskCompletionSource`1",
        "System.Runtime.CompilerServices.TaskAwaiter`1", "System.Runtime.CompilerServices.ValueTaskAwaiter`1",
        "System.Runtime.CompilerServices.ConfiguredTaskAwaitable`1", "System.Runtime.CompilerServices.ConfiguredTaskAwaitable`1/ConfiguredTaskAwaiter",
        "System.Runtime.CompilerServices.ConfiguredValueTaskAwaitable`1", "System.Runtime.CompilerServices.ConfiguredValueTaskAwaitable`1/ConfiguredValueTaskAwaiter",
        "System.Runtime.CompilerServices.AsyncTaskMethodBuilder`1", "System.Runtime.CompilerServices.AsyncValueTaskMethodBuilder`1",
        "System.Nullable`1", "System.Func`1", "System.Func`2", "System.Func`3", "System.Func`4", "System.Action`1", "System.Action`2", "System.Action`3",
        "System.Collections.Generic.EqualityComparer`1", "System.IEquatable`1", "System.Collections.Generic.List`1", "System.Collections.Generic.IEnumerable`1",
        "System.Collections.Generic.IReadOnlyList`1", "System.Collections.Generic.IReadOnlyCollection`1", "System.Collections.Generic.IList`1",
        "System.Collections.Generic.ICollection`1", "System.Collections.Generic.Dictionary`2", "System.Collections.Generic.IReadOnlyDictionary`2",
        "System.Collections.Generic.KeyValuePair`2", "System.ValueTuple`2", "System.ValueTuple`3", "System.Span`1", "System.ReadOnlySpan`1",
    };

    private static readonly Lazy<IReadOnlySet<string>> KernelVisibleTypes = new(ReadKernelVisibleTypes);

    private static readonly Lazy<IAssemblyResolver> Resolver = new(CreateResolver);

    private static readonly Lock ResolverLock = new();

    /// <summary>Reader settings that let the rules see what an inherited member resolves to, in the worker's own framework.</summary>
    public static ReaderParameters ReaderParameters => new() { ReadingMode = ReadingMode.Immediate, AssemblyResolver = Resolver.Value };

    /// <summary>As <see cref="ReaderParameters"/>, resolving first the pack folder's own assemblies that <paramref name="folder"/> holds.</summary>
    public static ReaderParameters ReaderParametersFor(FolderAssemblyResolver folder) => new() { ReadingMode = ReadingMode.Immediate, AssemblyResolver = folder };

    /// <summary>A resolver for one pack folder: the assemblies the loader would load from it, then the worker's framework.</summary>
    internal sealed class FolderAssemblyResolver(IReadOnlySet<string> dependsOn) : IAssemblyResolver
    {
        private readonly Dictionary<string, AssemblyDefinition> _own = new(StringComparer.Ordinal);

        /// <summary>Serves <paramref name="module"/>'s assembly, unless the loader would take that name from the host or an exporter.</summary>
        public void Add(ModuleDefinition module)
        {
            var name = module.Assembly.Name.Name;
            if (!PackSharing.IsHostShared(name) && !dependsOn.Contains(name))
            {
                _own.TryAdd(name, module.Assembly);
            }
        }

        public AssemblyDefinition Resolve(AssemblyNameReference name) => _own.TryGetValue(name.Name, out var own) ? own : Resolver.Value.Resolve(name);

        public AssemblyDefinition Resolve(AssemblyNameReference name, ReaderParameters parameters) => _own.TryGetValue(name.Name, out var own) ? own : Resolver.Value.Resolve(name, parameters);

        public void Dispose()
        {
            // The folder's modules belong to the verifier, the framework's to the shared resolver.
        }
    }

    /// <summary>Runs every rule on one assembly of a pack.</summary>
    /// <param name="module">The assembly, read from the checked bytes.</param>
    /// <param name="context">The pack it belongs to.</param>
    /// <param name="file">Its relative path in the pack folder, for the findings.</param>
    /// <param name="allowList">The list to judge by; the embedded one when null.</param>
    /// <param name="used">Receives every entry that allowed something (the tests show each entry is needed).</param>
    public static IReadOnlyList<PackFinding> Check(ModuleDefinition module, PackAssemblyContext context, string file, AllowList? allowList = null, ISet<AllowListEntry>? used = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(context);
        var checker = new AssemblyChecker(module, context, file, allowList ?? AllowList.Default, used, KernelVisibleTypes.Value);
        return checker.Run();
    }

    /// <summary>
    /// A parameter type as allow-list lines spell it: the metadata name, a generic parameter by position
    /// (<c>!!0</c> for a method's, <c>!0</c> for a type's), since a reference does not carry the names a definition has.
    /// </summary>
    public static string ParameterTypeName(TypeReference type) => type switch
    {
        GenericParameter { Type: GenericParameterType.Method } method => "!!" + method.Position.ToString(System.Globalization.CultureInfo.InvariantCulture),
        GenericParameter parameter => "!" + parameter.Position.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => type.FullName,
    };

    /// <summary>The rule and sentence for a refused name (<c>Type</c> or <c>Type::member</c>, Cecil style). A prefix ending in '*' matches any continuation.</summary>
    public static (string Rule, string Why) Classify(string name)
    {
        foreach (var (prefix, rule, why) in Classification)
        {
            var matches = prefix.EndsWith('*')
                ? name.StartsWith(prefix[..^1], StringComparison.Ordinal)
                : name == prefix || (name.Length > prefix.Length && name.StartsWith(prefix, StringComparison.Ordinal) && name[prefix.Length] is '.' or '/' or ':' or '`');
            if (matches)
            {
                return (rule, why);
            }
        }

        return (PackRuleIds.NotOnAllowList, "it is on no line of the allow-list of what a pack may use; if it is pure computation, ask for an entry (docs/pack-authoring.md, \"The allow-list\")");
    }

    /// <summary>Resolves a member reference to its definition (inherited members land on the type that declares them), or null.</summary>
    internal static IMemberDefinition? TryResolve(MemberReference member)
    {
        lock (ResolverLock)
        {
            try
            {
                return member switch
                {
                    MethodReference method => method.Resolve(),
                    FieldReference field => field.Resolve(),
                    _ => null,
                };
            }
            catch (AssemblyResolutionException)
            {
                return null;
            }
            catch (Exception ex) when (ex is NotSupportedException or BadImageFormatException or InvalidOperationException or ArgumentException)
            {
                // Unresolvable is judged by the name as written, which the runtime would fail to bind as well.
                return null;
            }
        }
    }

    private static IAssemblyResolver CreateResolver()
    {
        var resolver = new DefaultAssemblyResolver();
        foreach (var directory in resolver.GetSearchDirectories())
        {
            resolver.RemoveSearchDirectory(directory);
        }

        // The worker's own framework and its own folder: what the pack would bind to when it runs here.
        resolver.AddSearchDirectory(Path.GetDirectoryName(typeof(object).Assembly.Location)!);
        resolver.AddSearchDirectory(Path.GetDirectoryName(typeof(PackRules).Assembly.Location)!);
        resolver.AddSearchDirectory(Path.GetDirectoryName(typeof(Ops.Core.Packs.IOpsPack).Assembly.Location)!);
        return resolver;
    }

    /// <summary>Every type of the host's Ops.Core visible outside it (Cecil names), the only kernel types an entry can allow.</summary>
    private static IReadOnlySet<string> ReadKernelVisibleTypes()
    {
        using var core = ModuleDefinition.ReadModule(typeof(Ops.Core.Packs.IOpsPack).Assembly.Location);
        return core.GetTypes().Where(IsVisibleOutside).Select(t => t.FullName).ToHashSet(StringComparer.Ordinal);
    }

    private static bool IsVisibleOutside(TypeDefinition type) =>
        type.DeclaringType is null ? type.IsPublic : (type.IsNestedPublic || type.IsNestedFamily || type.IsNestedFamilyOrAssembly) && IsVisibleOutside(type.DeclaringType);

    /// <summary>One assembly's walk: every place metadata and IL can name a type or member, then the reference tables themselves.</summary>
    private sealed class AssemblyChecker(ModuleDefinition module, PackAssemblyContext context, string file, AllowList allowList, ISet<AllowListEntry>? used, IReadOnlySet<string> kernelTypes)
    {
        private const string TypeItself = "(type)";

        private readonly string _assembly = module.Assembly.Name.Name;
        private readonly Dictionary<(string Rule, string Type, string Member), (string Why, SortedSet<string> Dependencies)> _findings = [];
        private readonly List<PackFinding> _assemblyFindings = [];
        private readonly Dictionary<string, (string Rule, string Why, string Dependency)?> _verdicts = new(StringComparer.Ordinal);
        private readonly HashSet<string> _ownTypes = module.GetTypes().Select(t => t.FullName).ToHashSet(StringComparer.Ordinal);
        private string _ownerType = "(assembly)";
        private string _ownerMember = "(attributes)";
        private bool _sweeping;

        private enum Origin
        {
            Own,
            Kernel,
            Trusted,
            Framework,
            DataAccess,
            RefusedAssembly,
        }

        public IReadOnlyList<PackFinding> Run()
        {
            CheckAssemblyReferences();
            foreach (var exported in module.ExportedTypes)
            {
                _assemblyFindings.Add(At(new PackFinding(PackRuleIds.TypeForwarding, ReasonCodes.PackRefused, $"{file}: {_assembly} forwards {Display(exported.FullName)} to {exported.Scope?.Name}: a forwarded name is judged as the pack's own, so it would carry anything past the allow-list.", null, exported.FullName)));
            }

            Attributes(module.Assembly);
            Attributes(module);
            if (module.Assembly.HasSecurityDeclarations || module.Assembly.Modules.Count > 1)
            {
                Refuse(PackRuleIds.NotOnAllowList, "security declarations and extra modules are not part of a pack", "(assembly layout)");
            }

            foreach (var type in module.GetTypes())
            {
                CheckType(type);
            }

            // Whatever the walk above did not reach (an unused reference row, a place the walk does not know) is judged too.
            _ownerType = "(assembly)";
            _ownerMember = "(metadata)";
            _sweeping = true;
            foreach (var reference in module.GetTypeReferences())
            {
                Type(reference);
            }

            foreach (var reference in module.GetMemberReferences())
            {
                Member(reference);
            }

            return [.. _assemblyFindings, .. _findings.Select(f => Finding(f.Key, f.Value.Why, f.Value.Dependencies))];
        }

        private PackFinding Finding((string Rule, string Type, string Member) key, string why, SortedSet<string> dependencies)
        {
            var where = key.Member is TypeItself ? key.Type : $"{key.Type}.{key.Member}";
            var what = string.Join(", ", dependencies);
            return At(new PackFinding(key.Rule, ReasonCodes.PackRefused, $"{file}: {where} uses {what}: {why}.", key.Type, what) { Member = key.Member });
        }

        private PackFinding At(PackFinding finding) => finding with { File = file };

        private void CheckAssemblyReferences()
        {
            foreach (var reference in module.AssemblyReferences.Select(r => r.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var message = OriginOf(reference) switch
                {
                    Origin.DataAccess => (PackRuleIds.DataAccess, $"{file}: {_assembly} references {reference}: a pack never opens a database (constitution §9)."),
                    Origin.RefusedAssembly when reference.EndsWith(".Contracts", StringComparison.Ordinal) =>
                        (PackRuleIds.DeclaredContracts, $"{file}: {_assembly} references contract module {reference}, which pack '{context.PackId}' neither exports nor lists in depends_on: add \"{reference}\" to depends_on in pack.json (it is loaded from the pack that exports it, and must be installed first)."),
                    Origin.RefusedAssembly when reference == "Ops.Host" || reference.StartsWith("Ops.", StringComparison.Ordinal) =>
                        (PackRuleIds.OtherPacks, $"{file}: {_assembly} references {reference}: a pack depends on Ops.Core, Ops.Shared and contract modules only (constitution §7)."),
                    Origin.RefusedAssembly =>
                        (PackRuleIds.UnknownAssembly, $"{file}: {_assembly} references {reference}, which is neither in the pack folder nor provided by the host: ship it in the folder (it is then checked like the pack's own code) or remove the reference."),
                    _ => ((string, string)?)null,
                };
                if (message is var (rule, text))
                {
                    _assemblyFindings.Add(At(new PackFinding(rule, ReasonCodes.PackRefused, text, null, reference)));
                }
            }
        }

        private Origin OriginOf(string assembly)
        {
            if (assembly == _assembly || (context.FolderAssemblies.Contains(assembly) && !PackSharing.IsHostShared(assembly) && !context.DependsOn.Contains(assembly)))
            {
                return Origin.Own;
            }

            if (assembly == "Ops.Core")
            {
                return Origin.Kernel;
            }

            if (assembly == "Ops.Shared" || context.DependsOn.Contains(assembly) || context.Exports.Contains(assembly))
            {
                return Origin.Trusted;
            }

            if (DataAccessAssemblies.Any(d => assembly == d || assembly.StartsWith(d + ".", StringComparison.Ordinal)))
            {
                return Origin.DataAccess;
            }

            // A framework name (System.Diagnostics.Contracts is one) is judged type by type against the list, whatever its suffix.
            return IsFramework(assembly) ? Origin.Framework : Origin.RefusedAssembly;
        }

        private (Origin Origin, string Name) Locate(TypeReference type)
        {
            var outer = type;
            while (outer.DeclaringType is not null)
            {
                outer = outer.DeclaringType;
            }

            return outer.Scope switch
            {
                // A name the pack declares is its own; one it does not (a typeof in an attribute without an assembly) is judged as the framework's.
                ModuleDefinition => (_ownTypes.Contains(type.FullName) ? Origin.Own : Origin.Framework, type.FullName),
                AssemblyNameReference assembly => (OriginOf(assembly.Name), type.FullName),
                _ => (Origin.RefusedAssembly, type.FullName),
            };
        }

        private void CheckType(TypeDefinition type)
        {
            _ownerType = Display(AuthoredOwner(type).FullName);
            _ownerMember = AuthoredMember(type);
            if (type.Name == "<Module>")
            {
                foreach (var method in type.Methods.Where(m => m.IsConstructor && m.IsStatic))
                {
                    _ownerMember = method.Name;
                    Refuse(PackRuleIds.ModuleInitializer, "a module initializer runs as soon as the assembly loads, before any check could stop it", "<Module>..cctor");
                }
            }

            if (type.Name == "IgnoresAccessChecksToAttribute")
            {
                Refuse(PackRuleIds.AccessCheckBypass, "it switches off the runtime's access checks on the kernel's internals", type.FullName);
            }

            Attributes(type);
            GenericParameters(type);
            Type(type.BaseType);
            foreach (var implementation in type.Interfaces)
            {
                Type(implementation.InterfaceType);
                Attributes(implementation);
            }

            if (type.IsExplicitLayout && type.Fields.Any(f => !f.IsStatic))
            {
                // Overlapping fields let one object be read as another type (the runtime allows two references at one offset).
                // Without instance fields (the compiler's __StaticArrayInitTypeSize blobs) nothing can overlap.
                Refuse(PackRuleIds.UnsafeCode, "explicit field layout overlaps fields, which reads one object as another type", "[StructLayout(LayoutKind.Explicit)]");
            }

            if (type.HasSecurityDeclarations)
            {
                Refuse(PackRuleIds.NotOnAllowList, "security declarations are not part of a pack", "(security declaration)");
            }

            foreach (var field in type.Fields)
            {
                _ownerMember = OwnerMember(type, field.Name);
                Type(field.FieldType);
                Attributes(field);
                if (field.HasMarshalInfo)
                {
                    Refuse(PackRuleIds.NativeInterop, "marshalling describes native memory", "(marshal info)");
                }
            }

            foreach (var property in type.Properties)
            {
                _ownerMember = OwnerMember(type, property.Name);
                Type(property.PropertyType);
                Attributes(property);
                foreach (var parameter in property.Parameters)
                {
                    Type(parameter.ParameterType);
                }
            }

            foreach (var @event in type.Events)
            {
                _ownerMember = OwnerMember(type, @event.Name);
                Type(@event.EventType);
                Attributes(@event);
            }

            foreach (var method in type.Methods)
            {
                CheckMethod(type, method);
            }
        }

        private void CheckMethod(TypeDefinition type, MethodDefinition method)
        {
            _ownerMember = OwnerMember(type, method.Name);
            Attributes(method);
            Attributes(method.MethodReturnType);
            GenericParameters(method);
            Type(method.ReturnType);
            foreach (var parameter in method.Parameters)
            {
                Type(parameter.ParameterType);
                Attributes(parameter);
                if (parameter.HasMarshalInfo)
                {
                    Refuse(PackRuleIds.NativeInterop, "marshalling describes native memory", "(marshal info)");
                }
            }

            foreach (var overridden in method.Overrides)
            {
                Member(overridden);
            }

            if (method.IsPInvokeImpl)
            {
                Refuse(PackRuleIds.NativeInterop, "declares a P/Invoke method: native code runs outside every rule", $"P/Invoke {method.Name} ({method.PInvokeInfo?.Module?.Name ?? "native"})");
            }

            if (method.IsInternalCall || (method.IsRuntime && !IsDelegate(type)) || method.IsUnmanaged || method.IsNative)
            {
                Refuse(PackRuleIds.NativeInterop, "declares a method the runtime or native code implements", $"{method.Name} (implemented outside IL)");
            }

            if (method.Name == "Finalize" && method.IsVirtual && !method.HasParameters && method.ReturnType.MetadataType == MetadataType.Void && !type.IsInterface)
            {
                Refuse(PackRuleIds.Finalizer, "a finalizer runs on the garbage collector's thread, outside any call the kernel made, and an exception there ends the worker", $"{Display(type.FullName)}.Finalize");
            }

            if (method.ReturnType.MetadataType == MetadataType.Void && method.CustomAttributes.Any(a => a.AttributeType.FullName == "System.Runtime.CompilerServices.AsyncStateMachineAttribute"))
            {
                Refuse(PackRuleIds.AsyncVoid, "an exception from an async void method ends the worker process; return Task or ValueTask", $"async void {method.Name}");
            }

            if (!method.HasBody)
            {
                return;
            }

            foreach (var variable in method.Body.Variables)
            {
                if (variable.IsPinned)
                {
                    Refuse(PackRuleIds.UnsafeCode, "pins memory for pointer access", "(pinned local)");
                }

                Type(variable.VariableType);
            }

            foreach (var handler in method.Body.ExceptionHandlers)
            {
                Type(handler.CatchType);
            }

            foreach (var instruction in method.Body.Instructions)
            {
                if (instruction.OpCode.Code == Code.Calli)
                {
                    Refuse(PackRuleIds.UnsafeCode, "calls through a function pointer, which no rule can follow", "calli");
                }
                else if (instruction.OpCode.Code == Code.Localloc)
                {
                    Refuse(PackRuleIds.UnsafeCode, "allocates raw stack memory (stackalloc): use an array", "localloc");
                }
                else if (instruction.OpCode.Code is Code.Cpblk or Code.Initblk or Code.Mkrefany or Code.Refanyval or Code.Arglist or Code.Jmp)
                {
                    Refuse(PackRuleIds.UnsafeCode, "copies, initializes or jumps through raw memory or arguments", instruction.OpCode.Name);
                }

                switch (instruction.Operand)
                {
                    case TypeReference reference:
                        Type(reference);
                        if (instruction.OpCode.Code == Code.Ldtoken)
                        {
                            NotConstructible(reference, "typeof");
                        }

                        break;
                    case MemberReference member:
                        Member(member);
                        break;
                    case CallSite site:
                        Type(site.ReturnType);
                        foreach (var parameter in site.Parameters)
                        {
                            Type(parameter.ParameterType);
                        }

                        break;
                    default:
                        break;
                }
            }
        }

        private void GenericParameters(IGenericParameterProvider provider)
        {
            foreach (var parameter in provider.GenericParameters)
            {
                Attributes(parameter);
                foreach (var constraint in parameter.Constraints)
                {
                    Type(constraint.ConstraintType);
                    Attributes(constraint);
                }
            }
        }

        private void Attributes(ICustomAttributeProvider provider)
        {
            if (!provider.HasCustomAttributes)
            {
                return;
            }

            foreach (var attribute in provider.CustomAttributes)
            {
                Member(attribute.Constructor);
                foreach (var argument in attribute.ConstructorArguments.Concat(attribute.Fields.Select(f => f.Argument)).Concat(attribute.Properties.Select(p => p.Argument)))
                {
                    Argument(argument);
                }
            }
        }

        private void Argument(CustomAttributeArgument argument)
        {
            Type(argument.Type);
            switch (argument.Value)
            {
                case TypeReference type:
                    Type(type);
                    NotConstructible(type, "typeof in an attribute");
                    break;
                case CustomAttributeArgument boxed:
                    Argument(boxed);
                    break;
                case CustomAttributeArgument[] array:
                    foreach (var element in array)
                    {
                        Argument(element);
                    }

                    break;
                default:
                    break;
            }
        }

        private void Type(TypeReference? type)
        {
            switch (type)
            {
                case null or GenericParameter:
                    return;
                case GenericInstanceType generic:
                    Type(generic.ElementType);
                    foreach (var argument in generic.GenericArguments)
                    {
                        Type(argument);
                        if (!NonConstructing.Contains(generic.ElementType.FullName))
                        {
                            NotConstructible(argument, "a generic argument of " + Display(generic.ElementType.FullName));
                        }
                    }

                    return;
                case PointerType pointer:
                    Refuse(PackRuleIds.UnsafeCode, "pointers read and write memory past every check", "a pointer to " + Display(pointer.ElementType.FullName));
                    Type(pointer.ElementType);
                    return;
                case FunctionPointerType function:
                    Refuse(PackRuleIds.UnsafeCode, "a function pointer calls code no rule can follow", "a function pointer");
                    Type(function.ReturnType);
                    foreach (var parameter in function.Parameters)
                    {
                        Type(parameter.ParameterType);
                    }

                    return;
                case IModifierType modifier:
                    Type(modifier.ModifierType);
                    Type(modifier.ElementType);
                    return;
                case TypeSpecification specification:
                    Type(specification.ElementType);
                    return;
                default:
                    Judge(Key(type), () => JudgeType(type));
                    return;
            }
        }

        private void Member(MemberReference member)
        {
            switch (member)
            {
                case GenericInstanceMethod generic:
                    foreach (var argument in generic.GenericArguments)
                    {
                        Type(argument);
                        NotConstructible(argument, $"a generic argument of {generic.ElementMethod.Name}");
                    }

                    Member(generic.ElementMethod);
                    return;
                case MethodReference method:
                    Type(method.DeclaringType);
                    Type(method.ReturnType);
                    foreach (var parameter in method.Parameters)
                    {
                        Type(parameter.ParameterType);
                    }

                    break;
                case FieldReference field:
                    Type(field.DeclaringType);
                    Type(field.FieldType);
                    break;
                default:
                    return;
            }

            if (member.DeclaringType is not { } declaring)
            {
                return;
            }

            var element = declaring.GetElementType();
            Judge(Key(element) + "::" + member.Name + Signature(member), () => JudgeMember(member, element));
        }

        private (string Rule, string Why, string Dependency)? JudgeType(TypeReference type)
        {
            var (origin, name) = Locate(type);
            switch (origin)
            {
                case Origin.Own or Origin.Trusted or Origin.RefusedAssembly:
                    // Refused assemblies are refused once, by name (CheckAssemblyReferences).
                    return null;
                case Origin.DataAccess:
                    return (PackRuleIds.DataAccess, Classify(name).Why, Display(name));
                case Origin.Kernel:
                    if (kernelTypes.Contains(name) && allowList.AllowsType(AllowListSection.Kernel, name) is { } kernelEntry)
                    {
                        used?.Add(kernelEntry);
                        return null;
                    }

                    return (PackRuleIds.CoreInternals, "a pack uses Ops.Core's pack-facing API only (the [kernel] part of the allow-list): the storage, secrets, log and hosting faces are the kernel's own", Display(name));
                default:
                    if (allowList.AllowsType(AllowListSection.Framework, name) is { } entry)
                    {
                        used?.Add(entry);
                        return null;
                    }

                    var (rule, why) = Classify(name);
                    return (rule, why, Display(name));
            }
        }

        private (string Rule, string Why, string Dependency)? JudgeMember(MemberReference member, TypeReference declaring)
        {
            var (origin, typeName) = Locate(declaring);
            if (origin is Origin.Own or Origin.Trusted)
            {
                // A reference (not a definition) through the pack's own or a trusted type may bind to a member it inherits
                // from the framework or the kernel (MyDelegate::get_Method is Delegate::get_Method): judge where it lands.
                return member is IMemberDefinition ? null : JudgeResolved(member, typeName);
            }

            if (origin is not (Origin.Kernel or Origin.Framework))
            {
                return null;
            }

            var section = origin == Origin.Kernel ? AllowListSection.Kernel : AllowListSection.Framework;
            if (JudgeType(declaring) is not null)
            {
                // The type is refused on its own; naming each member of it again says nothing new.
                return null;
            }

            // An inherited member binds to the type that declares it: judge that one too (Task<T>.Run is Task.Run).
            return MemberVerdict(section, typeName, member.Name, Parameters(member)) ?? JudgeResolved(member, typeName);
        }

        private (string Rule, string Why, string Dependency)? JudgeResolved(MemberReference member, string referencedType)
        {
            if (TryResolve(member) is not { DeclaringType: { } resolvedType } resolved || resolvedType.FullName == referencedType)
            {
                return null;
            }

            return OriginOf(resolvedType.Module.Assembly.Name.Name) switch
            {
                Origin.Kernel => MemberVerdict(AllowListSection.Kernel, resolvedType.FullName, resolved.Name, Parameters(member)),
                Origin.Framework => MemberVerdict(AllowListSection.Framework, resolvedType.FullName, resolved.Name, Parameters(member)),
                Origin.DataAccess => (PackRuleIds.DataAccess, Classify(resolvedType.FullName).Why, $"{Display(resolvedType.FullName)}.{resolved.Name}"),
                _ => null,
            };
        }

        private (string Rule, string Why, string Dependency)? MemberVerdict(AllowListSection section, string typeName, string memberName, IReadOnlyList<string> parameters)
        {
            if (allowList.AllowsMember(section, typeName, memberName, parameters) is { } entry)
            {
                used?.Add(entry);
                return null;
            }

            var dependency = $"{Display(typeName)}.{memberName}";
            if (section == AllowListSection.Kernel)
            {
                return (PackRuleIds.CoreInternals, "a pack uses Ops.Core's pack-facing API only (the [kernel] part of the allow-list)", dependency);
            }

            var denied = allowList.DeniedMember(section, typeName, memberName, parameters);
            var (rule, why) = Classify(typeName + "::" + memberName);
            return (rule, denied is null ? why : $"{why} ({denied.Where})", dependency);
        }

        private void Judge(string key, Func<(string Rule, string Why, string Dependency)?> judge)
        {
            if (!_verdicts.TryGetValue(key, out var verdict))
            {
                verdict = judge();
                _verdicts[key] = verdict;
            }
            else if (_sweeping)
            {
                // Already judged, and reported, where it is used.
                return;
            }

            if (verdict is var (rule, why, dependency))
            {
                Add(rule, why, dependency);
            }
        }

        private void Refuse(string rule, string why, string dependency) => Add(rule, why, dependency);

        /// <summary>
        /// A type whose constructors the list refuses (every overload: HttpClient) may be held and called, but not handed to
        /// code that constructs what it is given: a serializer (Deserialize&lt;T&gt;, Deserialize(json, typeof(T))), a container
        /// (AddSingleton&lt;T&gt;), Lazy&lt;T&gt;, the kernel's own generics. So not as typeof, nor as a generic argument except
        /// of the awaitables and delegates that never construct their argument.
        /// </summary>
        private void NotConstructible(TypeReference type, string how)
        {
            if (type is GenericParameter or TypeSpecification || Locate(type).Origin != Origin.Framework || !allowList.IsUnconstructible(type.FullName))
            {
                return;
            }

            var (rule, why) = Classify(type.FullName + "::.ctor");
            Refuse(rule, $"its constructors are refused ({why}), and as {how} it would be constructed by whatever takes it (a serializer, a container, Lazy<T>)", $"{Display(type.FullName)} as {how}");
        }

        private void Add(string rule, string why, string dependency)
        {
            var key = (rule, _ownerType, _ownerMember);
            if (!_findings.TryGetValue(key, out var finding))
            {
                _findings[key] = finding = (why, new SortedSet<string>(StringComparer.Ordinal));
            }

            finding.Dependencies.Add(dependency);
        }

        private static string Key(TypeReference type)
        {
            var outer = type;
            while (outer.DeclaringType is not null)
            {
                outer = outer.DeclaringType;
            }

            return (outer.Scope?.Name ?? "?") + "!" + type.FullName;
        }

        private static string Signature(MemberReference member) =>
            member is MethodReference method ? "(" + string.Join(",", Parameters(method)) + ")" : string.Empty;

        private static IReadOnlyList<string> Parameters(MemberReference member) =>
            member is MethodReference method ? [.. method.Parameters.Select(p => ParameterTypeName(p.ParameterType))] : [];

        private static bool IsFramework(string assembly) =>
            assembly is "System" or "netstandard" or "mscorlib" or "WindowsBase" or "Scrutor"
            || assembly.StartsWith("System.", StringComparison.Ordinal)
            || assembly.StartsWith("Microsoft.", StringComparison.Ordinal)
            || assembly.StartsWith("Polly", StringComparison.Ordinal);

        private static string OwnerMember(TypeDefinition type, string member)
        {
            if (!type.Name.StartsWith('<'))
            {
                return member;
            }

            var authored = AuthoredName(member);
            return authored != member ? authored : AuthoredMember(type);
        }

        private static bool IsDelegate(TypeDefinition type) => type.BaseType?.FullName is "System.MulticastDelegate" or "System.Delegate";
    }

    private static TypeDefinition AuthoredOwner(TypeDefinition type)
    {
        while (type.DeclaringType is not null && type.Name.StartsWith('<'))
        {
            type = type.DeclaringType;
        }

        return type;
    }

    /// <summary>The authored member a compiler-generated type stands for (<c>&lt;StealAsync&gt;d__3</c> is StealAsync), or <c>(type)</c>.</summary>
    private static string AuthoredMember(TypeDefinition type)
    {
        var authored = AuthoredName(type.Name);
        return authored == type.Name ? "(type)" : authored;
    }

    /// <summary><c>&lt;Name&gt;anything</c> is Name; any other name is itself.</summary>
    private static string AuthoredName(string name) =>
        name.StartsWith('<') && name.IndexOf('>', StringComparison.Ordinal) is > 1 and var close ? name[1..close] : name;

    private static string Display(string cecilName) => cecilName.Replace('/', '+');
}
