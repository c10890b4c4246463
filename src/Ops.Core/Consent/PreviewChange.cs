using System.Text.Json;

namespace Ops.Core.Consent;

/// <summary>
/// One change of a preview (seed 000 §4): the JSON Pointer (RFC 6901) of a value, its value before and
/// after. A value that does not exist on one side is JSON <c>null</c> there. No prose, no hidden fields.
/// </summary>
/// <param name="Path">JSON Pointer into the target's state, for example <c>/title</c> or <c>/tags/0</c>; empty for the whole value.</param>
/// <param name="Before">The value before.</param>
/// <param name="After">The value after.</param>
public sealed record PreviewChange(string Path, JsonElement Before, JsonElement After);
