using Mono.Cecil;
using Mono.Cecil.Cil;
using Ops.Verification;
using Xunit.Abstractions;

namespace Ops.Architecture.Tests.Verification;

/// <summary>
/// Issue 16 item 7 (the verifier's half): the hostile-pack corpus. Every class of bypass the issue reports, the earlier
/// deny-list probes, and more, each written as a hostile author would write it, built in the test run and refused by the
/// real verifier with the rule named. Most are C# compiled here; the few a compiler will not write are IL written with Cecil.
/// </summary>
public sealed class HostileCorpusTests(ITestOutputHelper output)
{
    /// <summary>One hostile pack: the rule it must be refused under, and how it is made.</summary>
    /// <param name="Name">What it tries.</param>
    /// <param name="Rule">The rule that must name it.</param>
    /// <param name="Build">The pack folder's files, by name (pack.json is written beside them).</param>
    /// <param name="EntryAssembly">The manifest's entry_assembly.</param>
    /// <param name="DependsOn">The manifest's depends_on.</param>
    public sealed record HostileCase(string Name, string Rule, Func<IReadOnlyDictionary<string, byte[]>> Build, string EntryAssembly = HostileDll, string[]? DependsOn = null)
    {
        /// <inheritdoc/>
        public override string ToString() => Name;
    }

    private const string HostileDll = "Ops.Packs.Hostile.dll";

    private static readonly Lazy<IReadOnlyList<HostileCase>> Corpus = new(BuildCorpus);

    public static TheoryData<string> Cases() => [.. Corpus.Value.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void HostilePack_IsRefused_WithTheRuleNamed(string name)
    {
        var hostile = Corpus.Value.Single(c => c.Name == name);

        var verification = PackFixtures.Verify(hostile.EntryAssembly, hostile.Build(), dependsOn: hostile.DependsOn, entryType: "Hostile.Entry");

        Assert.False(verification.IsAccepted, $"{name} was accepted");
        Assert.True(verification.Findings.Any(f => f.Rule == hostile.Rule), $"{name}: expected [{hostile.Rule}], got:{Environment.NewLine}{string.Join(Environment.NewLine, verification.Findings)}");
        Assert.All(verification.Findings.Where(f => f.Rule == hostile.Rule), f => Assert.False(string.IsNullOrEmpty(f.File)));
    }

    [Fact]
    public void Corpus_CoversEveryClassOfTheIssue_AndThirtyMore()
    {
        var issue = Corpus.Value.Count(c => c.Name.StartsWith("issue16:", StringComparison.Ordinal));
        var probes = Corpus.Value.Count(c => c.Name.StartsWith("deny-list probe:", StringComparison.Ordinal));
        var ours = Corpus.Value.Count - issue - probes;
        var line = $"hostile corpus: {Corpus.Value.Count} packs ({issue} from issue 16, {probes} earlier deny-list probes, {ours} more), each refused with its rule; rules seen: {Corpus.Value.Select(c => c.Rule).Distinct().Count()}";
        output.WriteLine(line);
        Console.WriteLine(line);

        Assert.True(issue >= 25, $"{issue} issue classes");
        Assert.True(ours >= 30, $"{ours} of our own");
    }

    /// <summary>A pack whose single source file is <paramref name="body"/> (inside <c>namespace Hostile</c>, beside an entry type).</summary>
    private static HostileCase Cs(string name, string rule, string body, string assemblyName = "Ops.Packs.Hostile", string? fileName = null, string[]? dependsOn = null)
    {
        var file = fileName ?? assemblyName + ".dll";
        return new(name, rule, () => new Dictionary<string, byte[]> { [file] = PackFixtures.Compile(assemblyName, [Wrap(body)], allowUnsafe: body.Contains("unsafe", StringComparison.Ordinal)) }, file, dependsOn);
    }

    /// <summary>A pack written in IL.</summary>
    private static HostileCase Il(string name, string rule, Action<ModuleDefinition, ILProcessor> emit) =>
        new(name, rule, () => new Dictionary<string, byte[]> { [HostileDll] = PackFixtures.Probe("Ops.Packs.Hostile", emit) }, HostileDll) { };

    private static string Wrap(string body) => $$"""
        using Ops.Core.Packs;

        namespace Hostile
        {
            public sealed class Entry : IOpsPack
            {
                public void Register(IPackBuilder builder) { }
            }

            {{body}}
        }
        """;

    private static IReadOnlyList<HostileCase> BuildCorpus() =>
    [
        // Issue 16, "framework routes to the same places the rules guard"
        Cs("issue16: configuration builder returns the configured token", PackRuleIds.ConfigurationOrHosting, """
            internal static class Cfg { public static string? Token() => Microsoft.Extensions.Configuration.EnvironmentVariablesExtensions.AddEnvironmentVariables(new Microsoft.Extensions.Configuration.ConfigurationBuilder()).Build()["Ops:Secrets:github_token"]; }
            """),
        Cs("issue16: host builder returns the configuration", PackRuleIds.ConfigurationOrHosting, """
            internal static class H { public static object Cfg() => Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder().Configuration; }
            """),
        Cs("issue16: key-per-file configuration reads the consent key", PackRuleIds.FileSystem, """
            internal static class K { public static object Source() => new Microsoft.Extensions.Configuration.KeyPerFile.KeyPerFileConfigurationSource(); }
            """),
        Cs("issue16: XML resolver reads a key file", PackRuleIds.XmlResolver, """
            internal static class X { public static object? Read() => new System.Xml.XmlUrlResolver().GetEntity(new Uri("file:///root/.config/ops/admin-signer.pem"), null, typeof(Stream)); }
            """),
        Cs("issue16: XmlReader with a resolver fetches a URL", PackRuleIds.XmlResolver, """
            internal static class X2 { public static object R() => System.Xml.XmlReader.Create(new StringReader("<x/>"), new System.Xml.XmlReaderSettings { XmlResolver = new System.Xml.XmlUrlResolver() }); }
            """),
        Cs("issue16: HttpClient subclass calls out from a handler", PackRuleIds.Egress, """
            internal sealed class Sneaky : HttpClient { public Sneaky() : base() { } }
            """),
        Cs("issue16: HttpClient subclass with its own handler", PackRuleIds.Egress, """
            internal sealed class Sneaky2 : HttpClient { public Sneaky2() : base(new SocketsHttpHandler()) { } }
            """),
        Cs("issue16: IHttpClientFactory", PackRuleIds.Egress, """
            internal static class F { public static HttpClient C(System.Net.Http.IHttpClientFactory factory) => factory.CreateClient("x"); }
            """),
        Cs("issue16: AddHttpClient on the pack's services", PackRuleIds.Egress, """
            internal static class F2 { public static void Add(Microsoft.Extensions.DependencyInjection.IServiceCollection services) => Microsoft.Extensions.DependencyInjection.HttpClientFactoryServiceCollectionExtensions.AddHttpClient(services); }
            """),
        Cs("issue16: DiagnosticListener captures the Authorization header", PackRuleIds.DiagnosticsListeners, """
            internal sealed class L : IObserver<System.Diagnostics.DiagnosticListener>
            {
                public static IDisposable Hook() => System.Diagnostics.DiagnosticListener.AllListeners.Subscribe(new L());
                public void OnCompleted() { } public void OnError(Exception error) { } public void OnNext(System.Diagnostics.DiagnosticListener value) { }
            }
            """),
        Cs("issue16: assembly scanning finds a kernel type", PackRuleIds.Reflection, """
            internal static class S { public static Type[] All() => typeof(IOpsPack).Assembly.GetTypes(); }
            """),
        Cs("issue16: ActivatorUtilities creates a kernel type with kernel services", PackRuleIds.ServiceLocation, """
            internal static class A { public static object Make(IServiceProvider services, Type type) => Microsoft.Extensions.DependencyInjection.ActivatorUtilities.CreateInstance(services, type); }
            """),
        Cs("issue16: Activator.CreateInstance", PackRuleIds.ServiceLocation, """
            internal static class A2 { public static object? Make(Type type) => Activator.CreateInstance(type); }
            """),
        Cs("issue16: service provider lookup", PackRuleIds.ServiceLocation, """
            internal static class A3 { public static object? Get(IServiceProvider services) => services.GetService(typeof(string)); }
            """),
        Cs("issue16: entry assembly named System.* with hostile code", PackRuleIds.Environment, """
            internal static class T { public static string? Token() => Environment.GetEnvironmentVariable("Ops__Secrets__github_token"); }
            """, assemblyName: "System.Private.Helpers"),
        Cs("issue16: entry assembly named Microsoft.Extensions.* with hostile code", PackRuleIds.Environment, """
            internal static class T { public static string? Token() => Environment.GetEnvironmentVariable("Ops__Secrets__github_token"); }
            """, assemblyName: "Microsoft.Extensions.Logging.Fancy"),
        Cs("issue16: entry assembly with a .json extension", PackRuleIds.Environment, """
            internal static class T { public static string? Token() => Environment.GetEnvironmentVariable("Ops__Secrets__github_token"); }
            """, fileName: "settings.json"),
        Cs("issue16: entry assembly claiming a depends_on contract's name", PackRuleIds.Environment, """
            internal static class T { public static string? Token() => Environment.GetEnvironmentVariable("Ops__Secrets__github_token"); }
            """, assemblyName: "Ops.Packs.Notes.Contracts", dependsOn: ["Ops.Packs.Notes.Contracts"]),
        Cs("issue16: module initializer", PackRuleIds.ModuleInitializer, """
            internal static class M { [System.Runtime.CompilerServices.ModuleInitializer] internal static void Init() { } }
            """),
        Cs("issue16: finalizer", PackRuleIds.Finalizer, """
            internal sealed class Fin { ~Fin() { } }
            """),
        Cs("issue16: async void ends the worker", PackRuleIds.AsyncVoid, """
            internal static class V { public static async void Boom() { await Task.CompletedTask; throw new InvalidOperationException(); } }
            """),
        Cs("issue16: Guid.NewGuid", PackRuleIds.ClockOrRandomness, """
            internal static class G { public static Guid Id() => Guid.NewGuid(); }
            """),
        Cs("issue16: DateTime.UtcNow", PackRuleIds.ClockOrRandomness, """
            internal static class C { public static DateTime Now() => DateTime.UtcNow; }
            """),
        Cs("issue16: DateTimeOffset.Now", PackRuleIds.ClockOrRandomness, """
            internal static class C { public static DateTimeOffset Now() => DateTimeOffset.Now; }
            """),
        Cs("issue16: Stopwatch", PackRuleIds.ClockOrRandomness, """
            internal static class C { public static long Ticks() => System.Diagnostics.Stopwatch.GetTimestamp(); }
            """),
        Cs("issue16: TimeProvider.System", PackRuleIds.ClockOrRandomness, """
            internal static class C { public static DateTimeOffset Now() => TimeProvider.System.GetUtcNow(); }
            """),
        Cs("issue16: Thread", PackRuleIds.Threads, """
            internal static class Th { public static void Start() => new Thread(() => { }).Start(); }
            """),
        Cs("issue16: ThreadPool", PackRuleIds.Threads, """
            internal static class Th { public static bool Queue() => ThreadPool.QueueUserWorkItem(_ => { }); }
            """),
        Cs("issue16: Timer", PackRuleIds.Threads, """
            internal static class Th { public static IDisposable Tick() => new Timer(_ => { }, null, 0, 1000); }
            """),
        Cs("issue16: GC", PackRuleIds.GarbageCollector, """
            internal static class Gc { public static void Collect() => GC.Collect(); }
            """),
        Cs("issue16: Environment", PackRuleIds.Environment, """
            internal static class E { public static string? Token() => Environment.GetEnvironmentVariable("Ops__Secrets__github_token"); }
            """),
        Cs("issue16: Console", PackRuleIds.Console, """
            internal static class Co { public static void Say() => Console.WriteLine("hi"); }
            """),
        Cs("issue16: reflection by name", PackRuleIds.Reflection, """
            internal static class R { public static object? Writer(object kernel) => kernel.GetType().GetProperty("Writer")?.GetValue(kernel); }
            """),
        Cs("issue16: Reflection.Emit", PackRuleIds.Emit, """
            internal static class Em { public static object Make() => System.Reflection.Emit.AssemblyBuilder.DefineDynamicAssembly(new System.Reflection.AssemblyName("x"), System.Reflection.Emit.AssemblyBuilderAccess.Run); }
            """),
        Cs("issue16: dynamic", PackRuleIds.Dynamic, """
            internal static class D { public static object Call(dynamic kernel) => kernel.Writer; }
            """),
        Cs("issue16: unsafe pointers", PackRuleIds.UnsafeCode, """
            internal static unsafe class U { public static int Read(int* p) => *p; }
            """),
        Cs("issue16: function pointers and calli", PackRuleIds.UnsafeCode, """
            internal static unsafe class U { static int One() => 1; public static int Call() { delegate*<int> f = &One; return f(); } }
            """),
        Cs("issue16: P/Invoke", PackRuleIds.NativeInterop, """
            internal static class N { [System.Runtime.InteropServices.DllImport("libc")] public static extern int getpid(); }
            """),
        Cs("issue16: Process.Start", PackRuleIds.Process, """
            internal static class P { public static void Run() => System.Diagnostics.Process.Start("sh", "-c id"); }
            """),

        // The earlier deny-list probes (PackRules before the allow-list): none may regress.
        Cs("deny-list probe: ADO.NET", PackRuleIds.DataAccess, """
            internal static class Db { public static object Open(System.Data.Common.DbProviderFactory factory) => factory.CreateConnection()!; }
            """),
        Cs("deny-list probe: File.ReadAllText", PackRuleIds.FileSystem, """
            internal static class Fs { public static string Key() => File.ReadAllText("/root/.config/ops/admin-signer.pem"); }
            """),
        Cs("deny-list probe: FileStream", PackRuleIds.FileSystem, """
            internal static class Fs { public static Stream Open() => new FileStream("/etc/passwd", FileMode.Open); }
            """),
        Cs("deny-list probe: Directory", PackRuleIds.FileSystem, """
            internal static class Fs { public static string[] List() => Directory.GetFiles("/"); }
            """),
        Cs("deny-list probe: StreamReader by path", PackRuleIds.FileSystem, """
            internal static class Fs { public static string Read() => new StreamReader("/etc/passwd").ReadToEnd(); }
            """),
        Cs("deny-list probe: new HttpClient", PackRuleIds.Egress, """
            internal static class Net { public static HttpClient Make() => new(); }
            """),
        Cs("deny-list probe: Socket", PackRuleIds.Egress, """
            internal static class Net { public static object Make() => new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp); }
            """),
        Cs("deny-list probe: Dns", PackRuleIds.Egress, """
            internal static class Net { public static object Resolve() => System.Net.Dns.GetHostEntry("example.com"); }
            """),
        Cs("deny-list probe: WebClient", PackRuleIds.Egress, """
            #pragma warning disable SYSLIB0014
            internal static class Net { public static object Make() => new System.Net.WebClient(); }
            """),
        Cs("deny-list probe: Assembly.Load(byte[])", PackRuleIds.Reflection, """
            internal static class Ld { public static object Load(byte[] image) => System.Reflection.Assembly.Load(image); }
            """),
        Cs("deny-list probe: AssemblyLoadContext", PackRuleIds.Reflection, """
            internal static class Ld { public static object Load(Stream image) => System.Runtime.Loader.AssemblyLoadContext.Default.LoadFromStream(image); }
            """),
        Cs("deny-list probe: NativeLibrary", PackRuleIds.NativeInterop, """
            internal static class Nl { public static IntPtr Load() => System.Runtime.InteropServices.NativeLibrary.Load("libc"); }
            """),
        Cs("deny-list probe: Marshal", PackRuleIds.NativeInterop, """
            internal static class Nl { public static IntPtr Alloc() => System.Runtime.InteropServices.Marshal.AllocHGlobal(8); }
            """),
        Cs("deny-list probe: Type.GetType by name", PackRuleIds.Reflection, """
            internal static class Rf { public static Type? Find() => Type.GetType("Ops.Core.Hosting.OpsKernel, Ops.Core"); }
            """),
        Cs("deny-list probe: UnsafeAccessor", PackRuleIds.Reflection, """
            internal static class Ua { [System.Runtime.CompilerServices.UnsafeAccessor(System.Runtime.CompilerServices.UnsafeAccessorKind.Field, Name = "_writer")] public static extern ref object Writer(object kernel); }
            """),
        Cs("deny-list probe: Delegate.CreateDelegate by name", PackRuleIds.Reflection, """
            internal static class Dl { public static Delegate Bind(object target) => Delegate.CreateDelegate(typeof(Action), target, "Run"); }
            """),
        Cs("deny-list probe: RuntimeHelpers.GetUninitializedObject", PackRuleIds.Reflection, """
            internal static class Rh { public static object Make(Type t) => System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(t); }
            """),
        Cs("deny-list probe: Ops.Core's log", PackRuleIds.CoreInternals, """
            internal static class St { public static Type T() => typeof(Ops.Core.Log.IEventLog); }
            """),
        Cs("deny-list probe: Ops.Core host face", PackRuleIds.CoreInternals, """
            internal static class St { public static object? R(Ops.Core.Hosting.OpsRuntime runtime) => runtime; }
            """),

        // Our own: more doors, each one step for a hostile author
        Cs("Random", PackRuleIds.ClockOrRandomness, """
            internal static class Rn { public static int Roll() => Random.Shared.Next(); }
            """),
        Cs("RandomNumberGenerator", PackRuleIds.ClockOrRandomness, """
            internal static class Rn { public static byte[] Roll() => System.Security.Cryptography.RandomNumberGenerator.GetBytes(8); }
            """),
        Cs("Guid.CreateVersion7", PackRuleIds.ClockOrRandomness, """
            internal static class G7 { public static Guid Id() => Guid.CreateVersion7(); }
            """),
        Cs("DateTime.Now", PackRuleIds.ClockOrRandomness, """
            internal static class C2 { public static DateTime Now() => DateTime.Now; }
            """),
        Cs("Environment.TickCount64", PackRuleIds.ClockOrRandomness, """
            internal static class C3 { public static long Now() => Environment.TickCount64; }
            """),
        Cs("Task.Run", PackRuleIds.Threads, """
            internal static class Tr { public static Task Go() => Task.Run(() => { }); }
            """),
        Cs("Task.Delay", PackRuleIds.Threads, """
            internal static class Tr { public static Task Wait() => Task.Delay(1000); }
            """),
        Cs("Task.Yield", PackRuleIds.Threads, """
            internal static class Tr { public static async Task Go() { await Task.Yield(); } }
            """),
        Cs("Task.Factory.StartNew", PackRuleIds.Threads, """
            internal static class Tr { public static Task Go() => Task.Factory.StartNew(() => { }); }
            """),
        Cs("Task.WaitAsync with a timeout resumes later, like Task.Delay", PackRuleIds.Threads, """
            internal static class Tw { public static async Task Go(TaskCompletionSource never) { try { await never.Task.WaitAsync(TimeSpan.FromMinutes(5)); } catch (TimeoutException) { } } }
            """),
        Cs("a timer from the TimeProvider the kernel hands out", PackRuleIds.Threads, """
            internal static class Tt { public static object Go(TimeProvider time) => time.CreateTimer(_ => { }, null, TimeSpan.Zero, TimeSpan.FromSeconds(1)); }
            """),
        Cs("ConfigureAwait(ForceYielding) moves to the thread pool", PackRuleIds.Threads, """
            internal static class Cy { public static async Task Go(Task t) => await t.ConfigureAwait(ConfigureAwaitOptions.ForceYielding); }
            """),
        Cs("ContinueWith", PackRuleIds.Threads, """
            internal static class Cw { public static Task Go(Task t) => t.ContinueWith(_ => { }); }
            """),
        Cs("Parallel.For", PackRuleIds.Threads, """
            internal static class Tr { public static void Go() => Parallel.For(0, 10, _ => { }); }
            """),
        Cs("CancellationTokenSource with a delay", PackRuleIds.Threads, """
            internal static class Tr { public static CancellationTokenSource Go() => new(TimeSpan.FromSeconds(1)); }
            """),
        Cs("CancelAfter", PackRuleIds.Threads, """
            internal static class Tr { public static void Go(CancellationTokenSource s) => s.CancelAfter(1000); }
            """),
        Cs("lock (Monitor)", PackRuleIds.Threads, """
            internal static class Lk { private static readonly object Gate = new(); public static int Go() { lock (Gate) { return 1; } } }
            """),
        Cs("System.Threading.Channels", PackRuleIds.Threads, """
            internal static class Ch { public static object Go() => System.Threading.Channels.Channel.CreateUnbounded<int>(); }
            """),
        Cs("ThreadLocal", PackRuleIds.Threads, """
            internal static class Tl { public static object Go() => new ThreadLocal<int>(); }
            """),
        Cs("GC.AddMemoryPressure", PackRuleIds.GarbageCollector, """
            internal static class Gc2 { public static void Go() => GC.AddMemoryPressure(1 << 30); }
            """),
        Cs("GCSettings.LatencyMode", PackRuleIds.GarbageCollector, """
            internal static class Gc3 { public static void Go() => System.Runtime.GCSettings.LatencyMode = System.Runtime.GCLatencyMode.Batch; }
            """),
        Cs("Environment.Exit", PackRuleIds.Environment, """
            internal static class Ex { public static void Go() => Environment.Exit(1); }
            """),
        Cs("Environment.FailFast", PackRuleIds.Environment, """
            internal static class Ex { public static void Go() => Environment.FailFast("bye"); }
            """),
        Cs("AppContext.SetData", PackRuleIds.Environment, """
            internal static class Ac { public static void Go() => AppContext.SetData("x", 1); }
            """),
        Cs("AppDomain assemblies", PackRuleIds.Reflection, """
            internal static class Ad { public static object Go() => AppDomain.CurrentDomain.GetAssemblies(); }
            """),
        Cs("Object.GetType", PackRuleIds.Reflection, """
            internal static class Gt { public static string Go(object o) => o.GetType().Name; }
            """),
        Cs("Exception.TargetSite", PackRuleIds.Reflection, """
            internal static class Ts { public static object? Go(Exception e) => e.TargetSite; }
            """),
        Cs("Delegate.Method", PackRuleIds.Reflection, """
            internal static class Dm { public static object Go(Action a) => a.Method; }
            """),
        Cs("Delegate.DynamicInvoke", PackRuleIds.Reflection, """
            internal static class Dm { public static object? Go(Delegate d) => d.DynamicInvoke(); }
            """),
        Cs("expression trees compiled at run time", PackRuleIds.Reflection, """
            internal static class Ex { public static Func<int> Go() => ((System.Linq.Expressions.Expression<Func<int>>)(() => 1)).Compile(); }
            """),
        Cs("TypeDescriptor", PackRuleIds.Reflection, """
            internal static class Td { public static object Go(object o) => System.ComponentModel.TypeDescriptor.GetProperties(o); }
            """),
        Cs("typeof in an attribute argument", PackRuleIds.FileSystem, """
            [AttributeUsage(AttributeTargets.Class)] internal sealed class PointsAtAttribute(Type target) : Attribute { public Type Target { get; } = target; }
            [PointsAt(typeof(File))] internal static class Tagged { }
            """),
        Cs("generic argument", PackRuleIds.FileSystem, """
            internal static class Ga { public static object Go() => new List<FileInfo>(); }
            """),
        Cs("generic method argument", PackRuleIds.Process, """
            internal static class Gm { public static object Go() => Array.Empty<System.Diagnostics.Process>(); }
            """),
        Cs("field type", PackRuleIds.Process, """
            internal sealed class Fld { public System.Diagnostics.Process? Held; }
            """),
        Cs("base type", PackRuleIds.DiagnosticsListeners, """
            internal sealed class Ev : System.Diagnostics.Tracing.EventListener { }
            """),
        Cs("interface implementation", PackRuleIds.ServiceLocation, """
            internal sealed class Sp : IServiceProvider { public object? GetService(Type serviceType) => null; }
            """),
        Cs("generic constraint", PackRuleIds.FileSystem, """
            internal static class Gc { public static void Go<T>() where T : FileSystemInfo { } }
            """),
        Cs("catch clause", PackRuleIds.FileSystem, """
            internal static class Cc { public static int Go(Func<int> f) { try { return f(); } catch (FileNotFoundException) { return 0; } } }
            """.Replace("FileNotFoundException", "System.IO.DirectoryNotFoundException", StringComparison.Ordinal)),
        Cs("ActivitySource listener", PackRuleIds.DiagnosticsListeners, """
            internal static class As { public static void Go() => System.Diagnostics.ActivitySource.AddActivityListener(new System.Diagnostics.ActivityListener()); }
            """),
        Cs("MeterListener", PackRuleIds.DiagnosticsListeners, """
            internal static class Ml { public static object Go() => new System.Diagnostics.Metrics.MeterListener(); }
            """),
        Cs("Trace listener", PackRuleIds.DiagnosticsListeners, """
            internal static class Tl2 { public static int Go() => System.Diagnostics.Trace.Listeners.Count; }
            """),
        Cs("XmlDocument with its default resolver", PackRuleIds.XmlResolver, """
            internal static class Xd { public static object Go() { var d = new System.Xml.XmlDocument(); d.LoadXml("<x/>"); return d; } }
            """),
        Cs("XslCompiledTransform", PackRuleIds.XmlResolver, """
            internal static class Xs { public static object Go() => new System.Xml.Xsl.XslCompiledTransform(); }
            """),
        Cs("ConfigurationManager-style configuration root", PackRuleIds.ConfigurationOrHosting, """
            internal static class Cr { public static object? Go(Microsoft.Extensions.Configuration.IConfiguration c) => (Microsoft.Extensions.Configuration.IConfigurationRoot)c; }
            """),
        Cs("IConfigurationRoot.Providers", PackRuleIds.ConfigurationOrHosting, """
            internal static class Cr2 { public static object Go(Microsoft.Extensions.Configuration.IConfigurationRoot c) => c.Providers; }
            """),
        Cs("service provider from the pack's services", PackRuleIds.ServiceLocation, """
            internal static class Bs { public static object Go(Microsoft.Extensions.DependencyInjection.IServiceCollection s) => Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(s); }
            """),
        Cs("the pack's container constructs an HttpClient (AddSingleton<T>)", PackRuleIds.ServiceLocation, """
            internal static class Di { public static void Go(Microsoft.Extensions.DependencyInjection.IServiceCollection s) => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<HttpClient>(s); }
            """),
        Cs("the pack's container constructs a type by Type", PackRuleIds.ServiceLocation, """
            internal static class Di { public static void Go(Microsoft.Extensions.DependencyInjection.IServiceCollection s) => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton(s, typeof(object), typeof(HttpClient)); }
            """),
        Cs("the serializer constructs an HttpClient", PackRuleIds.Egress, """
            internal static class Js { public static HttpClient? Go() => System.Text.Json.JsonSerializer.Deserialize<HttpClient>("{}"); }
            """),
        Cs("the serializer constructs an HttpClient from typeof", PackRuleIds.Egress, """
            internal static class Js { public static object? Go() => System.Text.Json.JsonSerializer.Deserialize("{}", typeof(HttpClient)); }
            """),
        Cs("Lazy<T> constructs an HttpClient", PackRuleIds.Egress, """
            internal static class Lz { public static HttpClient Go() => new Lazy<HttpClient>().Value; }
            """),
        Cs("the kernel deserializes a command into an HttpClient", PackRuleIds.Egress, """
            internal static class Kc { public static void Go(IPackBuilder b) => b.AddEvent<HttpClient>("pack.hostile.x.Client"); }
            """),
        Cs("HttpClient.DefaultProxy", PackRuleIds.Egress, """
            internal static class Px { public static void Go(System.Net.IWebProxy p) => HttpClient.DefaultProxy = p; }
            """),
        Cs("HttpClientHandler", PackRuleIds.Egress, """
            internal static class Hh { public static object Go() => new HttpClientHandler(); }
            """),
        Cs("HttpMessageInvoker with its own handler", PackRuleIds.Egress, """
            internal static class Hi { public static object Go(HttpMessageHandler h) => new HttpMessageInvoker(h); }
            """),
        Cs("ClientWebSocket", PackRuleIds.Egress, """
            internal static class Ws { public static object Go() => new System.Net.WebSockets.ClientWebSocket(); }
            """),
        Cs("TcpClient", PackRuleIds.Egress, """
            internal static class Tc { public static object Go() => new System.Net.Sockets.TcpClient(); }
            """),
        Cs("Path.GetTempPath", PackRuleIds.FileSystem, """
            internal static class Tp { public static string Go() => Path.GetTempPath(); }
            """),
        Cs("ZipFile", PackRuleIds.FileSystem, """
            internal static class Zf { public static void Go() => System.IO.Compression.ZipFile.ExtractToDirectory("/a.zip", "/b"); }
            """),
        Cs("MemoryMappedFile", PackRuleIds.FileSystem, """
            internal static class Mm { public static object Go() => System.IO.MemoryMappedFiles.MemoryMappedFile.CreateNew("x", 10); }
            """),
        Cs("Unsafe.As", PackRuleIds.UnsafeCode, """
            internal static class Ua2 { public static string Go(object o) => System.Runtime.CompilerServices.Unsafe.As<string>(o); }
            """),
        Cs("MemoryMarshal", PackRuleIds.NativeInterop, """
            internal static class Mm2 { public static Span<byte> Go(Span<int> s) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(s); }
            """),
        Cs("stackalloc", PackRuleIds.UnsafeCode, """
            internal static class Sa { public static int Go() { Span<byte> b = stackalloc byte[16]; return b.Length; } }
            """),
        Cs("ArrayPool.Shared reads another caller's bytes", PackRuleIds.NotOnAllowList, """
            internal static class Ap { public static byte[] Go() => System.Buffers.ArrayPool<byte>.Shared.Rent(4096); }
            """),
        Cs("CultureInfo.DefaultThreadCurrentCulture", PackRuleIds.NotOnAllowList, """
            internal static class Ci { public static void Go() => System.Globalization.CultureInfo.DefaultThreadCurrentCulture = System.Globalization.CultureInfo.InvariantCulture; }
            """),
        Cs("Encoding.RegisterProvider", PackRuleIds.NotOnAllowList, """
            internal static class En { public static void Go(System.Text.EncodingProvider p) => System.Text.Encoding.RegisterProvider(p); }
            """),
        Cs("Regex.CacheSize", PackRuleIds.NotOnAllowList, """
            internal static class Rc { public static void Go() => System.Text.RegularExpressions.Regex.CacheSize = 0; }
            """),
        Cs("IgnoresAccessChecksTo declared by the pack", PackRuleIds.AccessCheckBypass, """
            }
            namespace System.Runtime.CompilerServices
            {
                [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
                internal sealed class IgnoresAccessChecksToAttribute(string assemblyName) : Attribute { public string AssemblyName { get; } = assemblyName; }
            """),
        Cs("X509 certificate from a file", PackRuleIds.FileSystem, """
            internal static class Xc { public static object Go() => System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile("/k.pem"); }
            """),
        Cs("the worker's Windows identity", PackRuleIds.Environment, """
            internal static class Pr { public static object? Go() => System.Security.Principal.WindowsIdentity.GetCurrent(); }
            """),
        Cs("Registry", PackRuleIds.FileSystem, """
            internal static class Rg { public static object Go() => Microsoft.Win32.Registry.CurrentUser; }
            """),
        Cs("WeakReference watches the collector", PackRuleIds.GarbageCollector, """
            internal static class Wr { public static object Go(object o) => new WeakReference(o); }
            """),
        Cs("hostile code in a second assembly named Microsoft.Extensions.*", PackRuleIds.Environment, """
            internal static class T { public static string? Token() => Environment.GetEnvironmentVariable("Ops__Secrets__github_token"); }
            """, assemblyName: "Microsoft.Extensions.Primitives.Extra"),
        new("hostile code in a file with no assembly extension beside a clean entry", PackRuleIds.Environment, () => new Dictionary<string, byte[]>
        {
            [HostileDll] = PackFixtures.Compile("Ops.Packs.Hostile", [Wrap(string.Empty)]),
            ["data/readme.txt"] = PackFixtures.Compile("Ops.Packs.Hidden", [Wrap("internal static class T { public static string? Token() => Environment.GetEnvironmentVariable(\"x\"); }")]),
        }),
        new("entry assembly that is no managed assembly", PackRuleIds.Manifest, () => new Dictionary<string, byte[]> { [HostileDll] = [0x7f, (byte)'E', (byte)'L', (byte)'F', 0, 0, 0, 0] }),
        Il("inherited static member through an allowed type (Task<int>.Run)", PackRuleIds.Threads, (module, il) =>
        {
            var runtime = new AssemblyNameReference("System.Runtime", new Version(10, 0, 0, 0));
            module.AssemblyReferences.Add(runtime);
            var task = new TypeReference("System.Threading.Tasks", "Task`1", module, runtime);
            task.GenericParameters.Add(new GenericParameter("TResult", task));
            var taskOfInt = new GenericInstanceType(task);
            taskOfInt.GenericArguments.Add(module.TypeSystem.Int32);
            var action = new TypeReference("System", "Action", module, runtime);
            var run = new MethodReference("Run", new TypeReference("System.Threading.Tasks", "Task", module, task.Scope), taskOfInt) { HasThis = false };
            run.Parameters.Add(new ParameterDefinition(action));
            il.Emit(OpCodes.Ldnull);
            il.Emit(OpCodes.Call, run);
            il.Emit(OpCodes.Pop);
        }),
        Cs("explicit layout reads one object as another type", PackRuleIds.UnsafeCode, """
            [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit)]
            internal struct Confused { [System.Runtime.InteropServices.FieldOffset(0)] public object Kernel; [System.Runtime.InteropServices.FieldOffset(0)] public Shape Mine; }
            internal sealed class Shape { public object? Writer; }
            """),
        Il("inherited reflection member through the pack's own type (Probe::GetType)", PackRuleIds.Reflection, (module, il) =>
        {
            var own = module.Types.Single(t => t.Name == "Probe");
            var type = new TypeReference("System", "Type", module, module.TypeSystem.CoreLibrary);
            var getType = new MethodReference("GetType", type, own) { HasThis = true };
            il.Emit(OpCodes.Ldnull);
            il.Emit(OpCodes.Callvirt, getType);
            il.Emit(OpCodes.Pop);
        }),
        Il("type forwarder to a refused type", PackRuleIds.TypeForwarding, (module, il) =>
            module.ExportedTypes.Add(new ExportedType("Probe", "Door", module, new AssemblyNameReference("System.Runtime", new Version(10, 0, 0, 0))) { IsForwarder = true })),
        Il("a module constructor written in IL", PackRuleIds.ModuleInitializer, (module, il) =>
        {
            var moduleType = module.Types.Single(t => t.Name == "<Module>");
            var cctor = new MethodDefinition(".cctor", Mono.Cecil.MethodAttributes.Private | Mono.Cecil.MethodAttributes.Static | Mono.Cecil.MethodAttributes.SpecialName | Mono.Cecil.MethodAttributes.RTSpecialName, module.TypeSystem.Void);
            cctor.Body.GetILProcessor().Emit(OpCodes.Ret);
            moduleType.Methods.Add(cctor);
        }),
        Il("a reference to a type in an assembly the folder does not hold", PackRuleIds.UnknownAssembly, (module, il) =>
        {
            var library = new AssemblyNameReference("Evil.Library", new Version(1, 0, 0, 0));
            module.AssemblyReferences.Add(library);
            il.Emit(OpCodes.Ldtoken, new TypeReference("Evil", "Door", module, library));
            il.Emit(OpCodes.Pop);
        }),
    ];
}
