using System.Text.RegularExpressions;

namespace Ops.Core.Naming;

/// <summary>
/// Namespaced type names of constitution §1: <c>core.&lt;Name&gt;</c>, <c>shared.&lt;pkg&gt;.&lt;Name&gt;</c> and
/// <c>pack.&lt;pack_id&gt;.&lt;domain&gt;.&lt;Name&gt;</c>. Segments are lowercase <c>[a-z][a-z0-9_]*</c>; the
/// final name is PascalCase <c>[A-Z][A-Za-z0-9]*</c>; at most 200 characters.
/// </summary>
internal static partial class OpsTypeName
{
    /// <summary>Longest accepted name, in characters.</summary>
    public const int MaxLength = 200;

    /// <summary>Parses a type name, or explains why it is not one.</summary>
    /// <param name="name">The candidate, for example <c>pack.notes.notes.CreateNote</c>.</param>
    /// <returns>The parsed name, or why it is invalid; the caller gives the problem its reason code.</returns>
    public static TypeNameParse Parse(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength)
        {
            return TypeNameParse.Invalid($"A type name is 1 to {MaxLength} characters.");
        }

        var parts = name.Split('.');
        var last = parts[^1];
        if (!NamePattern().IsMatch(last))
        {
            return TypeNameParse.Invalid($"'{name}': the final segment '{last}' must be PascalCase ([A-Z][A-Za-z0-9]*).");
        }

        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (!SegmentPattern().IsMatch(parts[i]))
            {
                return TypeNameParse.Invalid($"'{name}': segment '{parts[i]}' must be lowercase ([a-z][a-z0-9_]*).");
            }
        }

        return parts[0] switch
        {
            "core" when parts.Length == 2 => new(new ParsedTypeName(name, TypeNameOwnerKind.Core, "core", null, last), null),
            "shared" when parts.Length == 3 => new(new ParsedTypeName(name, TypeNameOwnerKind.Shared, parts[1], null, last), null),
            "pack" when parts.Length == 4 => new(new ParsedTypeName(name, TypeNameOwnerKind.Pack, parts[1], parts[2], last), null),
            _ => TypeNameParse.Invalid($"'{name}' is not namespaced: use core.<Name>, shared.<pkg>.<Name> or pack.<pack_id>.<domain>.<Name>."),
        };
    }

    /// <summary>Why the pack <paramref name="packId"/> may not register <paramref name="name"/>, or null when it owns the name.</summary>
    /// <param name="name">The candidate type name.</param>
    /// <param name="packId">The registering pack's id.</param>
    /// <returns>The problem, or <see langword="null"/> when <paramref name="name"/> is a valid name under <c>pack.&lt;packId&gt;.</c>.</returns>
    public static string? OwnershipProblem(string name, string packId)
    {
        var parse = Parse(name);
        if (parse.Problem is not null)
        {
            return parse.Problem;
        }

        return parse.Name is { OwnerKind: TypeNameOwnerKind.Pack } parsed && string.Equals(parsed.Owner, packId, StringComparison.Ordinal)
            ? null
            : $"'{name}' is outside the namespace of pack '{packId}': a pack registers only names under 'pack.{packId}.'.";
    }

    /// <summary>Whether a pack id is well formed: <c>[a-z][a-z0-9_]*</c>, at most 64 characters.</summary>
    /// <param name="packId">The candidate.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool IsValidPackId(string? packId) =>
        packId is not null && packId.Length <= 64 && SegmentPattern().IsMatch(packId);

    [GeneratedRegex("^[a-z][a-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex SegmentPattern();

    [GeneratedRegex("^[A-Z][A-Za-z0-9]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}

/// <summary>Who owns a type name.</summary>
internal enum TypeNameOwnerKind
{
    /// <summary><c>core.</c></summary>
    Core = 1,

    /// <summary><c>shared.&lt;pkg&gt;.</c></summary>
    Shared = 2,

    /// <summary><c>pack.&lt;pack_id&gt;.</c></summary>
    Pack = 3,
}

/// <summary>A parsed type name.</summary>
/// <param name="Value">The full name.</param>
/// <param name="OwnerKind">Core, shared or pack.</param>
/// <param name="Owner"><c>core</c>, the shared package, or the pack id.</param>
/// <param name="Domain">The pack's domain segment; <see langword="null"/> outside packs.</param>
/// <param name="Name">The final PascalCase segment.</param>
internal readonly record struct ParsedTypeName(string Value, TypeNameOwnerKind OwnerKind, string Owner, string? Domain, string Name);

/// <summary>A type name as parsed: the name when valid, else the problem.</summary>
/// <param name="Name">The parsed name; <see langword="null"/> when invalid.</param>
/// <param name="Problem">Why it is invalid; <see langword="null"/> when valid.</param>
internal readonly record struct TypeNameParse(ParsedTypeName? Name, string? Problem)
{
    /// <summary>An invalid name with its problem.</summary>
    public static TypeNameParse Invalid(string problem) => new(null, problem);
}
