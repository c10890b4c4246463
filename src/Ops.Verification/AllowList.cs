using System.Globalization;

namespace Ops.Verification;

/// <summary>Which list an entry belongs to: the base class library (and Microsoft.Extensions.*) or the kernel's Ops.Core.</summary>
internal enum AllowListSection
{
    Framework,
    Kernel,
}

/// <summary>How much an entry allows.</summary>
internal enum AllowListKind
{
    /// <summary>Every type directly in the namespace (not its sub-namespaces), with their nested types and members.</summary>
    Namespace,

    /// <summary>The type, its nested types and all its members.</summary>
    Type,

    /// <summary>One member (every overload, or the one with the given parameter types); the type may then be named.</summary>
    Member,

    /// <summary>An exception inside a broader entry: this member is refused.</summary>
    Deny,
}

/// <summary>One reviewed line of allow-list.txt.</summary>
/// <param name="Section">The list it is in.</param>
/// <param name="Kind">What it allows (or, for <see cref="AllowListKind.Deny"/>, refuses).</param>
/// <param name="Name">A namespace, a type (Cecil style: nested with '/', generic arity with '`'), or <c>Type::Member</c>, optionally <c>Type::Member(P1,P2)</c>.</param>
/// <param name="Reason">Why a pack may use it (or, for a deny line, why not).</param>
/// <param name="Line">Its line in the file.</param>
internal sealed record AllowListEntry(AllowListSection Section, AllowListKind Kind, string Name, string Reason, int Line)
{
    /// <summary>The type part of a member or deny entry; the name itself otherwise.</summary>
    public string TypeName => Kind is AllowListKind.Member or AllowListKind.Deny ? Name[..Name.IndexOf("::", StringComparison.Ordinal)] : Name;

    /// <summary>The member part (without parameters) of a member or deny entry.</summary>
    public string? MemberName
    {
        get
        {
            if (Kind is not (AllowListKind.Member or AllowListKind.Deny))
            {
                return null;
            }

            var member = Name[(Name.IndexOf("::", StringComparison.Ordinal) + 2)..];
            var open = member.IndexOf('(', StringComparison.Ordinal);
            return open < 0 ? member : member[..open];
        }
    }

    /// <summary>The parameter types of a member or deny entry that names one overload; null for every overload.</summary>
    public IReadOnlyList<string>? Parameters
    {
        get
        {
            var open = Name.IndexOf('(', StringComparison.Ordinal);
            if (open < 0)
            {
                return null;
            }

            var inside = Name[(open + 1)..^1];
            return inside.Length == 0 ? [] : inside.Split(',', StringSplitOptions.TrimEntries);
        }
    }

    /// <summary><c>allow-list.txt:LINE</c>, how a reader finds the entry.</summary>
    public string Where => $"allow-list.txt:{Line.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// The one reviewed list of what a pack may use outside its own assemblies, its declared contracts and Ops.Shared
/// (DESIGN.md §2): the base-class-library namespaces, types and members of pure computation, and the pack-facing
/// part of Ops.Core. Read from allow-list.txt, embedded in this assembly, where every line carries its reason.
/// A name that is on no line is refused; a <c>deny</c> line carves a member out of a broader entry.
/// </summary>
internal sealed class AllowList
{
    /// <summary>The embedded resource's name.</summary>
    public const string ResourceName = "Ops.Verification.allow-list.txt";

    private static readonly Lazy<AllowList> Embedded = new(() =>
    {
        using var stream = typeof(AllowList).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new Ops.Core.Errors.OpsException(Ops.Core.Errors.ReasonCodes.Internal, $"{ResourceName} is not embedded in Ops.Verification: this build is broken, and no pack was checked.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    });

    private readonly Dictionary<(AllowListSection, string), AllowListEntry> _namespaces = [];
    private readonly Dictionary<(AllowListSection, string), AllowListEntry> _types = [];
    private readonly Dictionary<(AllowListSection, string), List<AllowListEntry>> _members = [];
    private readonly Dictionary<(AllowListSection, string), List<AllowListEntry>> _denied = [];

    private AllowList(IReadOnlyList<AllowListEntry> entries)
    {
        Entries = entries;
        foreach (var entry in entries)
        {
            switch (entry.Kind)
            {
                case AllowListKind.Namespace:
                    _namespaces[(entry.Section, entry.Name)] = entry;
                    break;
                case AllowListKind.Type:
                    _types[(entry.Section, entry.Name)] = entry;
                    break;
                case AllowListKind.Member:
                    Add(_members, (entry.Section, entry.TypeName), entry);
                    break;
                default:
                    Add(_denied, (entry.Section, entry.TypeName), entry);
                    break;
            }
        }
    }

    /// <summary>The list the host runs with.</summary>
    public static AllowList Default => Embedded.Value;

    /// <summary>Every line, in file order.</summary>
    public IReadOnlyList<AllowListEntry> Entries { get; }

    /// <summary>
    /// Reads the list. Throws <see cref="FormatException"/> naming the line for anything a reviewer could misread:
    /// an unknown kind, a line outside a section, a missing reason, or a name listed twice.
    /// </summary>
    public static AllowList Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<AllowListEntry>();
        var seen = new HashSet<(AllowListSection, AllowListKind, string)>();
        AllowListSection? section = null;
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.StartsWith('['))
            {
                section = line switch
                {
                    "[framework]" => AllowListSection.Framework,
                    "[kernel]" => AllowListSection.Kernel,
                    _ => throw Bad(number, $"unknown section {line}; use [framework] or [kernel]"),
                };
                continue;
            }

            if (section is null)
            {
                throw Bad(number, "an entry before the first [framework] or [kernel] section");
            }

            var semicolon = line.IndexOf(';', StringComparison.Ordinal);
            var reason = semicolon < 0 ? string.Empty : line[(semicolon + 1)..].Trim();
            if (reason.Length == 0)
            {
                throw Bad(number, "no reason: every entry says, after ';', in one line, why a pack may use it");
            }

            var parts = line[..semicolon].Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length != 2)
            {
                throw Bad(number, "expected 'KIND NAME ; reason'");
            }

            var kind = parts[0] switch
            {
                "namespace" => AllowListKind.Namespace,
                "type" => AllowListKind.Type,
                "member" => AllowListKind.Member,
                "deny" => AllowListKind.Deny,
                _ => throw Bad(number, $"unknown kind '{parts[0]}'; use namespace, type, member or deny"),
            };
            var name = parts[1];
            if (kind is AllowListKind.Member or AllowListKind.Deny != name.Contains("::", StringComparison.Ordinal) || name.Contains(' ', StringComparison.Ordinal))
            {
                throw Bad(number, $"'{name}' is not a {parts[0]} name (members are Type::Member, without spaces)");
            }

            if (!seen.Add((section.Value, kind, name)))
            {
                throw Bad(number, $"{parts[0]} {name} is listed twice");
            }

            entries.Add(new AllowListEntry(section.Value, kind, name, reason, number));
        }

        return new AllowList(entries);
    }

    /// <summary>
    /// The entry that lets a pack name <paramref name="typeName"/> (Cecil style), or null. A type is named
    /// when it is covered by a namespace or type entry, or when some of its members are listed.
    /// </summary>
    public AllowListEntry? AllowsType(AllowListSection section, string typeName)
    {
        foreach (var candidate in SelfAndDeclaring(typeName))
        {
            if (_types.TryGetValue((section, candidate), out var type))
            {
                return type;
            }

            if (_members.TryGetValue((section, candidate), out var members))
            {
                return members[0];
            }
        }

        return _namespaces.GetValueOrDefault((section, NamespaceOf(typeName)));
    }

    /// <summary>The entry that lets a pack use member <paramref name="memberName"/> of <paramref name="typeName"/>, or null (denied, or on no entry).</summary>
    public AllowListEntry? AllowsMember(AllowListSection section, string typeName, string memberName, IReadOnlyList<string> parameterTypes)
    {
        if (DeniedMember(section, typeName, memberName, parameterTypes) is not null)
        {
            return null;
        }

        if (_members.TryGetValue((section, typeName), out var members) && members.FirstOrDefault(m => Matches(m, memberName, parameterTypes)) is { } member)
        {
            return member;
        }

        foreach (var candidate in SelfAndDeclaring(typeName))
        {
            if (_types.TryGetValue((section, candidate), out var type))
            {
                return type;
            }
        }

        return _namespaces.GetValueOrDefault((section, NamespaceOf(typeName)));
    }

    /// <summary>Whether a deny line refuses every constructor of <paramref name="typeName"/> (<c>deny T::.ctor</c> without parameters).</summary>
    public bool IsUnconstructible(string typeName) =>
        _denied.Any(d => d.Key.Item2 == typeName && d.Value.Any(e => e.MemberName == ".ctor" && e.Parameters is null));

    /// <summary>The deny line that carves this member out, if any.</summary>
    public AllowListEntry? DeniedMember(AllowListSection section, string typeName, string memberName, IReadOnlyList<string> parameterTypes) =>
        _denied.TryGetValue((section, typeName), out var denied) ? denied.FirstOrDefault(d => Matches(d, memberName, parameterTypes)) : null;

    /// <summary>The namespace of a Cecil type name: its outermost declaring type's.</summary>
    public static string NamespaceOf(string typeName)
    {
        var outer = typeName.Split('/')[0];
        var dot = outer.LastIndexOf('.');
        return dot < 0 ? string.Empty : outer[..dot];
    }

    private static IEnumerable<string> SelfAndDeclaring(string typeName)
    {
        var name = typeName;
        while (true)
        {
            yield return name;
            var slash = name.LastIndexOf('/');
            if (slash < 0)
            {
                yield break;
            }

            name = name[..slash];
        }
    }

    private static bool Matches(AllowListEntry entry, string memberName, IReadOnlyList<string> parameterTypes) =>
        entry.MemberName == memberName && (entry.Parameters is not { } parameters || parameters.SequenceEqual(parameterTypes, StringComparer.Ordinal));

    private static void Add(Dictionary<(AllowListSection, string), List<AllowListEntry>> map, (AllowListSection, string) key, AllowListEntry entry)
    {
        if (!map.TryGetValue(key, out var list))
        {
            map[key] = list = [];
        }

        list.Add(entry);
    }

    private static FormatException Bad(int line, string problem) =>
        new($"allow-list.txt:{line.ToString(CultureInfo.InvariantCulture)}: {problem}.");
}
