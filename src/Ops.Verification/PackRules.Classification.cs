namespace Ops.Verification;

/// <summary>Why a refused name is refused: the rule id and sentence a finding carries. The allow-list decides; this only explains.</summary>
internal static partial class PackRules
{
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
}
