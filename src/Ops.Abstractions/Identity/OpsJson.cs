using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ops.Core.Identity;

/// <summary>
/// The one JSON configuration of Ops: snake_case member names (the constitution's field names),
/// enums as snake_case strings, UTC timestamps written as <c>yyyy-MM-ddTHH:mm:ss.fffffffZ</c>.
/// </summary>
public static class OpsJson
{
    /// <summary>Serializer options shared by envelopes, payloads, the HTTP API and exports.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>Formats an instant the way every Ops record does: UTC, 100 ns precision, trailing Z.</summary>
    /// <param name="value">The instant.</param>
    /// <returns>For example <c>2026-11-21T14:22:32.1234567Z</c>.</returns>
    public static string FormatInstant(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            NumberHandling = JsonNumberHandling.Strict,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,

            // A member named twice is ambiguous: which one would the signer have seen? (issue 7)
            AllowDuplicateProperties = false,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        options.Converters.Add(new InstantConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    private sealed class InstantConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var text = reader.GetString();
            if (text is null || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
            {
                throw new JsonException($"'{text}' is not an ISO 8601 instant (for example 2026-11-21T14:22:32Z).");
            }

            return value.ToUniversalTime();
        }

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(FormatInstant(value));
    }
}
