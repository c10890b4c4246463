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
    /// <param name="parsed">The parsed name when valid.</param>
    /// <param name="error">Why it is invalid, when it is.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool TryParse(string? name, out ParsedTypeName parsed, out string? error)
    {
        parsed = default;
        error = null;
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength)
        {
            error = $"A type name is 1 to {MaxLength} characters.";
            return false;
        }

        var parts = name.Split('.');
        var last = parts[^1];
        if (!NamePattern().IsMatch(last))
        {
            error = $"'{name}': the final segment '{last}' must be PascalCase ([A-Z][A-Za-z0-9]*).";
            return false;
        }

        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (!SegmentPattern().IsMatch(parts[i]))
            {
                error = $"'{name}': segment '{parts[i]}' must be lowercase ([a-z][a-z0-9_]*).";
                return false;
            }
        }

        switch (parts[0])
        {
            case "core" when parts.Length == 2:
                parsed = new ParsedTypeName(name, TypeNameOwnerKind.Core, "core", null, last);
                return true;
            case "shared" when parts.Length == 3:
                parsed = new ParsedTypeName(name, TypeNameOwnerKind.Shared, parts[1], null, last);
                return true;
            case "pack" when parts.Length == 4:
                parsed = new ParsedTypeName(name, TypeNameOwnerKind.Pack, parts[1], parts[2], last);
                return true;
            default:
                error = $"'{name}' is not namespaced: use core.<Name>, shared.<pkg>.<Name> or pack.<pack_id>.<domain>.<Name>.";
                return false;
        }
    }

    /// <summary>Whether <paramref name="name"/> is a valid name owned by the pack <paramref name="packId"/>.</summary>
    /// <param name="name">The candidate type name.</param>
    /// <param name="packId">The registering pack's id.</param>
    /// <param name="error">Why the pack may not register it, when it may not.</param>
    /// <returns><see langword="true"/> when the pack owns the name.</returns>
    public static bool IsOwnedByPack(string name, string packId, out string? error)
    {
        if (!TryParse(name, out var parsed, out error))
        {
            return false;
        }

        if (parsed.OwnerKind != TypeNameOwnerKind.Pack || !string.Equals(parsed.Owner, packId, StringComparison.Ordinal))
        {
            error = $"'{name}' is outside the namespace of pack '{packId}': a pack registers only names under 'pack.{packId}.'.";
            return false;
        }

        return true;
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
