using Mono.Cecil;

namespace Ops.Architecture.Tests.Engine;

/// <summary>How the engine sees types: which it judges, how it names them, which are visible outside.</summary>
internal static class CecilTypes
{
    private const string CompilerGenerated = "System.Runtime.CompilerServices.CompilerGeneratedAttribute";

    /// <summary>
    /// Every type an author wrote, nested ones included. Compiler-generated types (closures, state machines,
    /// embedded attributes, <c>&lt;PrivateImplementationDetails&gt;</c>) are not judged on their own: their code is
    /// counted as the code of the type they are nested in.
    /// </summary>
    public static IEnumerable<TypeDefinition> AuthoredTypes(ModuleDefinition module)
    {
        var pending = new Stack<TypeDefinition>(module.Types.Reverse());
        while (pending.Count > 0)
        {
            var type = pending.Pop();
            if (IsCompilerGenerated(type) || type.Name == "<Module>")
            {
                continue;
            }

            yield return type;
            foreach (var nested in type.NestedTypes.Reverse())
            {
                pending.Push(nested);
            }
        }
    }

    /// <summary>The type and the compiler-generated types nested in it, at any depth.</summary>
    public static IEnumerable<TypeDefinition> WithGeneratedCode(TypeDefinition type)
    {
        yield return type;
        foreach (var nested in type.NestedTypes.Where(IsCompilerGenerated))
        {
            foreach (var inner in WithGeneratedCode(nested))
            {
                yield return inner;
            }
        }
    }

    public static bool IsCompilerGenerated(TypeDefinition type) =>
        type.Name.StartsWith('<') || type.CustomAttributes.Any(a => a.AttributeType.FullName == CompilerGenerated);

    /// <summary>Reflection-style full name (<c>Ns.Outer+Inner</c>, <c>List`1</c>), which is also what <c>typeof(T).FullName</c> gives.</summary>
    public static string NameOf(TypeReference type) => type.FullName.Replace('/', '+');

    /// <summary>The namespace of a type, nested types taking the namespace of the type they are in.</summary>
    public static string NamespaceOf(TypeDefinition type)
    {
        var outer = type;
        while (outer.DeclaringType is not null)
        {
            outer = outer.DeclaringType;
        }

        return outer.Namespace;
    }

    /// <summary>
    /// Whether code in another assembly can name the type without InternalsVisibleTo: public, or nested
    /// public/protected inside a type that is itself visible.
    /// </summary>
    public static bool IsVisibleOutsideAssembly(TypeDefinition type)
    {
        if (type.DeclaringType is null)
        {
            return type.IsPublic;
        }

        return (type.IsNestedPublic || type.IsNestedFamily || type.IsNestedFamilyOrAssembly) && IsVisibleOutsideAssembly(type.DeclaringType);
    }

    /// <summary>
    /// True when <paramref name="name"/> is <paramref name="pattern"/> or lies under it: the namespace
    /// <c>Ops.Core.Storage</c> covers <c>Ops.Storage.SqliteDatabase</c> and <c>Ops.Core.Storage.Migrations.X</c>,
    /// a type covers its nested types, and <c>Ops.Core</c> does not cover <c>Ops.CoreX</c>.
    /// </summary>
    public static bool IsUnder(string name, string pattern) =>
        name.Length == pattern.Length
            ? string.Equals(name, pattern, StringComparison.Ordinal)
            : name.Length > pattern.Length && name.StartsWith(pattern, StringComparison.Ordinal) && name[pattern.Length] is '.' or '+' or '`';
}
