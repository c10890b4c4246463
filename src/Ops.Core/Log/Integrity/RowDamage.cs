using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Ops.Core.Errors;

namespace Ops.Core.Log.Integrity;

/// <summary>
/// A stored row that does not parse is damage to report, never a crash (issue 20 item 4): every read of a stored
/// envelope and every fold of a core event goes through here, so a flipped bit, a renamed member, invalid UTF-8 or a
/// value of the wrong type becomes one <see cref="OpsException"/> with <see cref="ReasonCodes.RowUnreadable"/> that
/// names the row's position and what is wrong with it, whatever read it (log verify, the start check, any CLI verb).
/// </summary>
public static class RowDamage
{
    private const string PositionKey = "ops.position";

    /// <summary>The failures a stored row's bytes can cause while they are parsed or folded; anything else is a kernel bug and stays one.</summary>
    public static bool IsParseFailure(Exception exception) =>
        exception is JsonException or DecoderFallbackException or FormatException or InvalidOperationException or ArgumentException or NullReferenceException or InvalidCastException or OverflowException or KeyNotFoundException or NotSupportedException;

    /// <summary>The exception for a row at <paramref name="position"/> whose stored bytes do not parse; <paramref name="kind"/> says how (see <see cref="EnvelopeKind"/>, <see cref="PayloadKind"/>).</summary>
    public static OpsException Unreadable(long position, string kind, Exception? cause, string? eventType = null)
    {
        var message = string.Create(CultureInfo.InvariantCulture, $"the log row at position {position}{(eventType is null ? string.Empty : $" ({eventType})")} cannot be read: {kind}. The row was altered in the database after it was written. Run 'log verify' to locate every damage; nothing was changed");
        return Tag(new OpsException(ReasonCodes.RowUnreadable, message, cause), position);
    }

    /// <summary>The exception for a projection document that cannot be read as one; <c>projections verify</c> reports it, a rebuild replaces it.</summary>
    public static OpsException DocumentUnreadable(string projection, string key, string kind) =>
        new(ReasonCodes.RowUnreadable, $"the document '{key}' of projection {projection} cannot be read: {kind}. It was altered in the database; 'projections rebuild {projection}' writes it again from the log");

    /// <summary>A stored command outcome, read back when its command is sent again; one that does not parse is damage, not a crash.</summary>
    public static Envelopes.CommandOutcome Outcome(string commandId, byte[] stored)
    {
        try
        {
            return JsonSerializer.Deserialize<Envelopes.CommandOutcome>(stored, Identity.OpsJson.Options)
                ?? throw new OpsException(ReasonCodes.RowUnreadable, $"the stored outcome of command {commandId} is the JSON literal null. It was altered in the database; run 'log verify' (the outcome chain names it)");
        }
        catch (Exception ex) when (IsParseFailure(ex))
        {
            throw new OpsException(ReasonCodes.RowUnreadable, $"the stored outcome of command {commandId} cannot be read: it is not valid UTF-8 JSON of a command outcome. It was altered in the database; run 'log verify' (the outcome chain names it); nothing was changed", ex);
        }
    }

    /// <summary>The position of the row an <see cref="Unreadable"/> exception names, or null for any other exception.</summary>
    public static long? PositionOf(Exception exception) =>
        exception is OpsException { Code: ReasonCodes.RowUnreadable } && exception.Data[PositionKey] is long position ? position : null;

    /// <summary>A copy of an <see cref="Unreadable"/> exception, so each caller throws its own (a stored exception thrown twice loses its first stack).</summary>
    public static OpsException Again(OpsException damage) =>
        Tag(new OpsException(damage.Code, damage.Message, damage.InnerException), PositionOf(damage) ?? 0);

    /// <summary>
    /// What is wrong with stored envelope bytes that did not deserialize, in words an operator can act on (no .NET type
    /// names): checked from the outside in, so a flipped bit reads as "not UTF-8" or "not JSON at byte n" and a renamed
    /// member as "not the shape of an envelope". Runs only after a failure, so the happy path pays nothing.
    /// </summary>
    public static string EnvelopeKind(ReadOnlySpan<byte> bytes, Exception cause)
    {
        if (!Utf8.IsValid(bytes))
        {
            return "its envelope is not valid UTF-8";
        }

        var reader = new Utf8JsonReader(bytes);
        try
        {
            while (reader.Read())
            {
            }
        }
        catch (JsonException)
        {
            return string.Create(CultureInfo.InvariantCulture, $"its envelope is not valid JSON (at byte {reader.BytesConsumed})");
        }

        return cause is JsonException { Path: { Length: > 1 } path }
            ? $"its envelope does not have the shape of an event envelope (at {path}: a member is missing, renamed or of the wrong type)"
            : "its envelope does not have the shape of an event envelope (a member is missing, renamed or of the wrong type)";
    }

    /// <summary>What is wrong with a core event whose payload did not fold.</summary>
    public static string PayloadKind(string eventType, Exception cause) =>
        cause is JsonException { Path: { Length: > 1 } path }
            ? $"its payload does not have the shape {eventType} requires (at {path}: a member is missing, renamed or of the wrong type)"
            : $"its payload does not have the shape {eventType} requires (a member is missing, renamed or of the wrong type)";

    private static OpsException Tag(OpsException exception, long position)
    {
        exception.Data[PositionKey] = position;
        return exception;
    }
}
