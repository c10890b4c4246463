using Mono.Cecil;

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
/// assembly of its folder, (b) the pack SDK, Ops.Abstractions (the <c>[kernel]</c> part of allow-list.txt), or Ops.Shared,
/// (c) a contract module the manifest declares, or (d) on the <c>[framework]</c> part of allow-list.txt. Whatever they
/// name, P/Invoke, internal calls, <c>calli</c>, function pointers, pointers, <c>localloc</c>, module initializers,
/// finalizers, <c>async void</c>, type forwarders and <c>IgnoresAccessChecksTo</c> are refused.
/// <para>
/// Where a name is refused, the rule id says why in the terms of the constitution (<see cref="Classify"/>); the allow-list
/// decided, the classification only explains. Everything is read from metadata: nothing of the pack is loaded or run.
/// </para>
/// </summary>
internal static partial class PackRules
{
    /// <summary>Data-access assemblies, by name prefix, refused as references.</summary>
    public static readonly IReadOnlyList<string> DataAccessAssemblies =
        ["Microsoft.EntityFrameworkCore", "Microsoft.Data.Sqlite", "Microsoft.Data.SqlClient", "System.Data.SqlClient", "System.Data.Odbc", "System.Data.OleDb", "Npgsql", "SQLitePCLRaw"];

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

    /// <summary>Every type of the host's pack SDK (Ops.Abstractions, the assembly of IOpsPack) visible outside it (Cecil names), the only kernel types an entry can allow; Ops.Core's own are never nameable.</summary>
    private static IReadOnlySet<string> ReadKernelVisibleTypes()
    {
        using var core = ModuleDefinition.ReadModule(typeof(Ops.Core.Packs.IOpsPack).Assembly.Location);
        return core.GetTypes().Where(IsVisibleOutside).Select(t => t.FullName).ToHashSet(StringComparer.Ordinal);
    }

    private static bool IsVisibleOutside(TypeDefinition type) =>
        type.DeclaringType is null ? type.IsPublic : (type.IsNestedPublic || type.IsNestedFamily || type.IsNestedFamilyOrAssembly) && IsVisibleOutside(type.DeclaringType);

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
