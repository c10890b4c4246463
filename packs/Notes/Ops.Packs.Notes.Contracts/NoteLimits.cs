namespace Ops.Packs.Notes.Contracts;

/// <summary>Input limits of notes. Lengths are counted in UTF-16 code units (.NET <see cref="string.Length"/>).</summary>
public static class NoteLimits
{
    /// <summary>A title has 1 to 200 characters and is not only whitespace.</summary>
    public const int MaxTitleLength = 200;

    /// <summary>Content has 0 to 100,000 characters.</summary>
    public const int MaxContentLength = 100_000;

    /// <summary>A note has at most 20 tags.</summary>
    public const int MaxTags = 20;

    /// <summary>A tag has 1 to 50 characters, is not only whitespace, and appears once per note (ordinal comparison).</summary>
    public const int MaxTagLength = 50;
}
