namespace OpsPack1.Contracts;

/// <summary>The reason codes of pack <c>opspack_id</c>'s rejections (lowercase, stable: clients branch on them).</summary>
public static class ItemRejections
{
    /// <summary>item_id is not 1 to <see cref="Limits.MaxItemIdLength"/> characters of <c>[a-z0-9-]</c>.</summary>
    public const string InvalidItemId = "invalid_item_id";

    /// <summary>The title is empty, only whitespace, or longer than <see cref="Limits.MaxTitleLength"/> characters.</summary>
    public const string InvalidTitle = "invalid_title";

    /// <summary>An item with that id exists already.</summary>
    public const string ItemExists = "item_exists";

    /// <summary>The limits the handler checks.</summary>
    public static class Limits
    {
        /// <summary>Longest item_id.</summary>
        public const int MaxItemIdLength = 64;

        /// <summary>Longest title.</summary>
        public const int MaxTitleLength = 200;
    }
}
