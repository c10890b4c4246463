using System.Text.RegularExpressions;
using Mono.Cecil;
using Mono.Cecil.Cil;
using Ops.Architecture.Tests.Engine;

namespace Ops.Architecture.Tests.Rules;

/// <summary>
/// DESIGN.md §7 (seed 004): every type that commits state declares its authority class with
/// <c>[Authority(AuthorityClass.X, "table", ...)]</c> (on itself or an enclosing type), and writes only the
/// tables it declares.
/// <para>
/// A write is a call to SaveChanges*, ExecuteUpdate*, ExecuteDelete*, ExecuteSql* or Migrate* (EF Core),
/// DbCommand.ExecuteNonQuery* (DbBatch's too), BeginBinaryImport* or BeginTextImport* (ADO.NET, any provider; Npgsql's
/// COPY), and ExecuteReader*, ExecuteScalar* or Npgsql's BeginRawBinaryCopy* when the type's SQL writes (INSERT ...
/// RETURNING, COPY t FROM). The tables written are read from the SQL string literals in the type (INSERT/REPLACE/MERGE
/// INTO t, UPDATE t SET, DELETE FROM t, TRUNCATE t, COPY t FROM; a schema such as SQL Server's <c>dbo.t</c> is skipped): SQL assembled
/// in another type is not seen, and a table name built at run time is not either.
/// </para>
/// </summary>
internal sealed partial class WritesOnlyUnderDeclaredAuthority : IExplainedCustomRule
{
    /// <summary>Matched by full name, so the rule holds for any assembly that uses Ops.Core's attribute (Ops.Core, Ops.Host).</summary>
    public const string AttributeName = "Ops.Core.Storage.AuthorityAttribute";

    private static readonly string[] AdoNamespaces =
        ["System.Data", "Microsoft.Data.Sqlite", "Microsoft.Data.SqlClient", "Npgsql"];

    public bool MeetsRule(TypeDefinition type) => !Explain(type).Any();

    public IEnumerable<string> Explain(TypeDefinition type)
    {
        // SQL prepared in a constructor may run in an async method's state machine: judge the type with
        // its generated code as one, and let the engine's calls for the generated parts pass.
        if (CecilTypes.IsCompilerGenerated(type))
        {
            return [];
        }

        var sql = StringLiterals(type).ToList();
        var writesSql = sql.Any(s => WrittenTable().IsMatch(s));
        var writes = Calls(type).Where(c => IsWrite(c, writesSql)).Select(c => CecilTypes.NameOf(c.DeclaringType) + "." + c.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (writes.Count == 0)
        {
            return [];
        }

        var declared = DeclaredTables(type);
        if (declared is null)
        {
            return [$"writes ({string.Join(", ", writes)}) but declares no [Authority]"];
        }

        return sql.SelectMany(s => WrittenTable().Matches(s))
            .Select(m => m.Groups["table"].Value)
            .Where(t => !declared.Contains(t, StringComparer.OrdinalIgnoreCase))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.Ordinal)
            .Select(t => $"writes table {t}, which its [Authority] does not list");
    }

    private static bool IsWrite(MethodReference call, bool typeWritesSql)
    {
        var owner = CecilTypes.NameOf(call.DeclaringType);
        var name = call.Name;
        if (CecilTypes.IsUnder(owner, "Microsoft.EntityFrameworkCore"))
        {
            return name.StartsWith("SaveChanges", StringComparison.Ordinal)
                || name.StartsWith("ExecuteUpdate", StringComparison.Ordinal)
                || name.StartsWith("ExecuteDelete", StringComparison.Ordinal)
                || name.StartsWith("ExecuteSql", StringComparison.Ordinal)
                || name.StartsWith("Migrate", StringComparison.Ordinal);
        }

        if (AdoNamespaces.Any(n => CecilTypes.IsUnder(owner, n)))
        {
            return name.StartsWith("ExecuteNonQuery", StringComparison.Ordinal)
                || name.StartsWith("BeginBinaryImport", StringComparison.Ordinal)
                || name.StartsWith("BeginTextImport", StringComparison.Ordinal)
                // Npgsql's raw COPY goes either way: a write when the type's SQL copies into a table.
                || (typeWritesSql && (name.StartsWith("ExecuteReader", StringComparison.Ordinal) || name.StartsWith("ExecuteScalar", StringComparison.Ordinal) || name.StartsWith("BeginRawBinaryCopy", StringComparison.Ordinal)));
        }

        return false;
    }

    /// <summary>The tables of the nearest [Authority] on the type or an enclosing type; null when there is none.</summary>
    private static IReadOnlyList<string>? DeclaredTables(TypeDefinition type)
    {
        for (var current = type; current is not null; current = current.DeclaringType)
        {
            var authority = current.CustomAttributes.FirstOrDefault(a => a.AttributeType.FullName == AttributeName);
            if (authority is not null)
            {
                return [.. authority.ConstructorArguments.Skip(1).SelectMany(Strings)];
            }
        }

        return null;
    }

    private static IEnumerable<string> Strings(CustomAttributeArgument argument) => argument.Value switch
    {
        string text => [text],
        CustomAttributeArgument[] array => array.SelectMany(Strings),
        CustomAttributeArgument boxed => Strings(boxed),
        _ => [],
    };

    private static IEnumerable<MethodBody> Bodies(TypeDefinition type) =>
        CecilTypes.WithGeneratedCode(type).SelectMany(t => t.Methods).Where(m => m.HasBody).Select(m => m.Body);

    private static IEnumerable<MethodReference> Calls(TypeDefinition type) =>
        Bodies(type).SelectMany(b => b.Instructions).Select(i => i.Operand).OfType<MethodReference>();

    private static IEnumerable<string> StringLiterals(TypeDefinition type) =>
        Bodies(type).SelectMany(b => b.Instructions).Where(i => i.OpCode == OpCodes.Ldstr).Select(i => (string)i.Operand);

    [GeneratedRegex("""(?<!\bDO\s+)\b(?:(?:INSERT(?:\s+OR\s+\w+)?|REPLACE|MERGE)\s+INTO|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?(?:\s+ONLY)?)\s+(?:["\[`]?\w+["\]`]?\.)?["\[`]?(?<table>\w+)|(?<!\bDO\s+)\bUPDATE\s+(?:OR\s+\w+\s+)?(?:["\[`]?\w+["\]`]?\.)?["\[`]?(?<table>\w+)["\]`]?\s+SET\b|\bCOPY\s+(?:["\[`]?\w+["\]`]?\.)?["\[`]?(?<table>\w+)["\]`]?\s*(?:\([^)]*\)\s*)?FROM\b""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WrittenTable();
}
