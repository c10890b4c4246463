namespace Ops.Packs.Notes.Contracts;

/// <summary>The three content types of seed 001. <c>json</c> content must parse as one JSON value.</summary>
public static class NoteContentTypes
{
    /// <summary>Markdown text; the default.</summary>
    public const string Markdown = "markdown";

    /// <summary>A JSON document (checked with a JSON parser).</summary>
    public const string Json = "json";

    /// <summary>Plain text.</summary>
    public const string Text = "text";

    /// <summary>All accepted values, lowercase.</summary>
    public static IReadOnlyList<string> All { get; } = [Markdown, Json, Text];
}
