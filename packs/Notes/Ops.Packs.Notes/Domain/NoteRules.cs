using System.Text.Json;
using Ops.Core.Packs;
using Ops.Packs.Notes.Contracts;

namespace Ops.Packs.Notes.Domain;

/// <summary>Input rules of notes. Each returns a rejection, or <see langword="null"/> when the rule holds.</summary>
internal static class NoteRules
{
    /// <summary>Checks every field that is set; <see langword="null"/> fields are not checked (an update keeps them).</summary>
    public static Decision? CheckFields(string? title, string? content, string? contentType, IReadOnlyList<string>? tags) =>
        (title is null ? null : TitleMustHaveOneTo200Characters(title))
        ?? (content is null ? null : ContentMustFitTheLimit(content))
        ?? (contentType is null ? null : ContentTypeMustBeKnown(contentType))
        ?? (tags is null ? null : TagsMustBeFewShortAndDistinct(tags));

    public static Decision? TitleMustHaveOneTo200Characters(string title) =>
        string.IsNullOrWhiteSpace(title) || title.Length > NoteLimits.MaxTitleLength
            ? Decision.Reject(NoteRejections.InvalidTitle, $"title must have 1 to {NoteLimits.MaxTitleLength} characters and not be only whitespace; it has {title.Length}.")
            : null;

    public static Decision? ContentMustFitTheLimit(string content) =>
        content.Length > NoteLimits.MaxContentLength
            ? Decision.Reject(NoteRejections.InvalidContent, $"content must have at most {NoteLimits.MaxContentLength:N0} characters; it has {content.Length:N0}.")
            : null;

    public static Decision? ContentTypeMustBeKnown(string contentType) =>
        NoteContentTypes.All.Contains(contentType, StringComparer.Ordinal)
            ? null
            : Decision.Reject(NoteRejections.InvalidContentType, $"content_type '{contentType}' is not one of {string.Join(", ", NoteContentTypes.All)}.");

    public static Decision? TagsMustBeFewShortAndDistinct(IReadOnlyList<string> tags)
    {
        if (tags.Count > NoteLimits.MaxTags)
        {
            return Decision.Reject(NoteRejections.InvalidTags, $"a note has at most {NoteLimits.MaxTags} tags; {tags.Count} were given.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tags.Count; i++)
        {
            // The list's element nullability is not enforced by the serializer, hence the null check.
            var tag = tags[i];
            if (string.IsNullOrWhiteSpace(tag) || tag.Length > NoteLimits.MaxTagLength)
            {
                return Decision.Reject(NoteRejections.InvalidTags, $"tag {i} must have 1 to {NoteLimits.MaxTagLength} characters and not be only whitespace.");
            }

            if (!seen.Add(tag))
            {
                return Decision.Reject(NoteRejections.InvalidTags, $"tag '{tag}' appears more than once; give each tag once.");
            }
        }

        return null;
    }

    /// <summary>JSON content must parse as one JSON value; markdown and text may hold anything.</summary>
    public static Decision? ContentMustMatchItsType(string content, string contentType)
    {
        if (!string.Equals(contentType, NoteContentTypes.Json, StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(content);
            return null;
        }
        catch (JsonException ex)
        {
            return Decision.Reject(NoteRejections.InvalidContent, $"content_type is json but content is not JSON: {ex.Message}");
        }
    }
}
