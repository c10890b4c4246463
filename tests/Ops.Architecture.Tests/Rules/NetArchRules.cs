using System.Collections.Concurrent;
using Mono.Cecil;
using Ops.Architecture.Tests.Engine;
using NetArch = NetArchTest.Rules;

namespace Ops.Architecture.Tests.Rules;

/// <summary>
/// Runs a rule on NetArchTest.Rules 1.3.2 (<c>Types.FromFile(path).That()...Should()...GetResult()</c>) and fills
/// the one gap it has for every rule: it never enumerates types declared in System.*, Microsoft.*, Mono.Cecil,
/// netstandard, NetArchTest.Rules or xunit namespaces. Those types are judged by the same custom rule on Mono.Cecil,
/// so declaring a type in <c>namespace System.Anything</c> does not take it out of a rule (PlantedViolations has one
/// per rule). NetArchTest decides which of the types it sees fail; Cecil only adds why.
/// </summary>
internal static class NetArchRules
{
    private static readonly ConcurrentDictionary<string, IReadOnlySet<string>> Enumerated = new(StringComparer.Ordinal);

    /// <summary>
    /// The types of <paramref name="assemblyPath"/> that <paramref name="select"/> keeps (all when null) must meet
    /// <paramref name="rule"/>; failing type names are reflection style (<c>Outer+Inner</c>).
    /// </summary>
    public static TestResult MeetCustomRule(string assemblyPath, IExplainedCustomRule rule, Func<TypeDefinition, bool>? select = null)
    {
        var types = NetArch.Types.FromFile(assemblyPath);
        var conditions = select is null ? types.Should() : types.That().MeetCustomRule(new Predicate(select)).Should();
        var failing = FailingTypeNames(conditions.MeetCustomRule(rule).GetResult()).ToHashSet(StringComparer.Ordinal);
        var reasons = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var seen = EnumeratedBy(assemblyPath);
        foreach (var type in CecilTypes.AuthoredTypes(AssemblyCache.Load(assemblyPath).MainModule))
        {
            var name = CecilTypes.NameOf(type);
            var judgedHere = !seen.Contains(name) && (select?.Invoke(type) ?? true) && !rule.MeetsRule(type);
            if (failing.Contains(name) || judgedHere)
            {
                var why = rule.Explain(type).ToList();
                reasons[name] = why.Count > 0 ? why : ["breaks " + rule.GetType().Name];
            }
        }

        // A type NetArchTest failed that Cecil does not list as authored (none expected) still fails.
        foreach (var name in failing.Where(n => !reasons.ContainsKey(n)))
        {
            reasons[name] = ["breaks " + rule.GetType().Name];
        }

        return reasons.Count == 0 ? TestResult.Success() : TestResult.Failure(reasons);
    }

    /// <summary>The reflection-style names of the types NetArchTest chose with <paramref name="select"/>.</summary>
    public static IReadOnlyList<string> Select(string assemblyPath, Func<TypeDefinition, bool> select)
    {
        var recorder = new Recorder();
        NetArch.Types.FromFile(assemblyPath).That().MeetCustomRule(new Predicate(select)).Should().MeetCustomRule(recorder).GetResult();
        return [.. recorder.Names.Order(StringComparer.Ordinal)];
    }

    /// <summary>Reflection-style names of the types NetArchTest enumerates in <paramref name="assemblyPath"/>.</summary>
    public static IReadOnlySet<string> EnumeratedBy(string assemblyPath) =>
        Enumerated.GetOrAdd(Path.GetFullPath(assemblyPath), path =>
        {
            var recorder = new Recorder();
            NetArch.Types.FromFile(path).Should().MeetCustomRule(recorder).GetResult();
            return recorder.Names.ToHashSet(StringComparer.Ordinal);
        });

    /// <summary>NetArchTest's failing type names (null when it succeeded), nested types as <c>Outer+Inner</c>.</summary>
    public static IEnumerable<string> FailingTypeNames(NetArch.TestResult result) =>
        (result.FailingTypeNames ?? []).Select(n => n.Replace('/', '+'));

    /// <summary>A predicate as a NetArchTest custom rule (its <c>That().MeetCustomRule</c>).</summary>
    public sealed class Predicate(Func<TypeDefinition, bool> select) : NetArch.ICustomRule
    {
        public bool MeetsRule(TypeDefinition type) => select(type);
    }

    /// <summary>Records every type NetArchTest hands it, and passes them all.</summary>
    private sealed class Recorder : NetArch.ICustomRule
    {
        public List<string> Names { get; } = [];

        public bool MeetsRule(TypeDefinition type)
        {
            Names.Add(CecilTypes.NameOf(type));
            return true;
        }
    }
}
