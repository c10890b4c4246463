using System.Text.Json;
using Ops.Core.Identity;

namespace Ops.Core.Consent;

/// <summary>
/// Turns a handler's before/after into a pure, ordered diff: leaves compared after RFC 8785
/// canonicalization, object members walked in canonical (UTF-16) order, array items by index. The same
/// before and after always give byte-identical changes.
/// </summary>
internal static class PreviewDiff
{
    private static readonly JsonElement Null = JsonDocument.Parse("null").RootElement.Clone();

    public static IReadOnlyList<PreviewChange> Compute(object? before, object? after)
    {
        var a = Canonical(before);
        var b = Canonical(after);
        var changes = new List<PreviewChange>();
        Walk(string.Empty, a, b, changes);
        return changes;
    }

    private static JsonElement Canonical(object? value)
    {
        if (value is null)
        {
            return Null;
        }

        var bytes = CanonicalJson.SerializeToCanonical(value);
        return JsonDocument.Parse(bytes).RootElement.Clone();
    }

    private static void Walk(string path, JsonElement a, JsonElement b, List<PreviewChange> changes)
    {
        // A missing side of an object is walked as an empty object, so a creation or removal lists every field.
        if (IsContainer(a, JsonValueKind.Object, b) || IsContainer(b, JsonValueKind.Object, a))
        {
            var left = a.ValueKind == JsonValueKind.Object ? a.EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal) : [];
            var right = b.ValueKind == JsonValueKind.Object ? b.EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal) : [];
            foreach (var key in left.Keys.Union(right.Keys).Order(StringComparer.Ordinal))
            {
                Walk(path + "/" + Escape(key), left.GetValueOrDefault(key, Null), right.GetValueOrDefault(key, Null), changes);
            }

            return;
        }

        if (a.ValueKind == JsonValueKind.Array && b.ValueKind == JsonValueKind.Array)
        {
            var left = a.EnumerateArray().ToList();
            var right = b.EnumerateArray().ToList();
            for (var i = 0; i < Math.Max(left.Count, right.Count); i++)
            {
                Walk(path + "/" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), i < left.Count ? left[i] : Null, i < right.Count ? right[i] : Null, changes);
            }

            return;
        }

        if (!CanonicalJson.Canonicalize(a).AsSpan().SequenceEqual(CanonicalJson.Canonicalize(b)))
        {
            changes.Add(new PreviewChange(path, a, b));
        }
    }

    private static bool IsContainer(JsonElement value, JsonValueKind kind, JsonElement other) =>
        value.ValueKind == kind && (other.ValueKind == kind || other.ValueKind == JsonValueKind.Null);

    private static string Escape(string key) => key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}
