using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Ops.Core.Identity;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme (JCS): the byte form that every content hash and
/// deterministic id in Ops is computed over (DESIGN.md §3, constitution A3, A6, A7).
/// </summary>
/// <remarks>
/// Object members are sorted by their UTF-16 code units, numbers are written as ECMAScript
/// <c>Number.prototype.toString</c> writes IEEE 754 doubles, strings use the minimal escapes of
/// RFC 8785 §3.2.2.2, and no insignificant whitespace is written. Output is UTF-8.
/// </remarks>
public static class CanonicalJson
{
    /// <summary>Canonicalizes a JSON text.</summary>
    /// <param name="json">UTF-8 JSON text.</param>
    /// <returns>The RFC 8785 canonical UTF-8 bytes.</returns>
    /// <exception cref="JsonException">The text is not JSON, has a duplicate member name, a lone surrogate, or a number that is not finite.</exception>
    public static byte[] Canonicalize(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        using var doc = JsonDocument.ParseValue(ref reader);
        return Canonicalize(doc.RootElement);
    }

    /// <summary>Canonicalizes a parsed JSON value.</summary>
    /// <param name="element">Any JSON value.</param>
    /// <returns>The RFC 8785 canonical UTF-8 bytes.</returns>
    /// <exception cref="JsonException">A duplicate member name, a lone surrogate, or a number that is not finite.</exception>
    public static byte[] Canonicalize(JsonElement element)
    {
        // One buffer per thread, reused: the output is copied out, so nothing escapes the call.
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        try
        {
            Write(element, buffer);
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            buffer.ResetWrittenCount();
            if (buffer.Capacity > MaxCachedBuffer)
            {
                t_buffer = null;
            }
        }
    }

    /// <summary>Serializes a value with <see cref="OpsJson.Options"/> and canonicalizes the result.</summary>
    /// <typeparam name="T">Type of the value.</typeparam>
    /// <param name="value">The value to serialize.</param>
    /// <returns>The RFC 8785 canonical UTF-8 bytes.</returns>
    public static byte[] SerializeToCanonical<T>(T value)
    {
        using var doc = JsonSerializer.SerializeToDocument(value, OpsJson.Options);
        return Canonicalize(doc.RootElement);
    }

    private const int MaxCachedBuffer = 1 << 20;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    internal static void Write(JsonElement element, IBufferWriter<byte> output)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(element, output);
                break;
            case JsonValueKind.Array:
                output.Write("["u8);
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first)
                    {
                        output.Write(","u8);
                    }

                    first = false;
                    Write(item, output);
                }

                output.Write("]"u8);
                break;
            case JsonValueKind.String:
                // Fast path: a string whose JSON text has no escape is written as it stands; it holds no
                // '"', '\\' or control character (JSON forbids them unescaped), so canonical escaping would not
                // change a byte. Anything else takes the general path.
                if (!TryWriteUnescaped(JsonMarshal.GetRawUtf8Value(element), output))
                {
                    WriteString(element.GetString()!, output);
                }

                break;
            case JsonValueKind.Number:
                WriteNumber(element, output);
                break;
            case JsonValueKind.True:
                output.Write("true"u8);
                break;
            case JsonValueKind.False:
                output.Write("false"u8);
                break;
            case JsonValueKind.Null:
                output.Write("null"u8);
                break;
            default:
                throw new JsonException($"Cannot canonicalize a JSON value of kind {element.ValueKind}.");
        }
    }

    private static readonly Comparison<(string Name, JsonProperty Property)> ByName = static (a, b) => string.CompareOrdinal(a.Name, b.Name);

    private static void WriteObject(JsonElement element, IBufferWriter<byte> output)
    {
        var count = element.GetPropertyCount();
        if (count == 0)
        {
            output.Write("{}"u8);
            return;
        }

        var members = ArrayPool<(string Name, JsonProperty Property)>.Shared.Rent(count);
        try
        {
            var n = 0;
            foreach (var property in element.EnumerateObject())
            {
                members[n++] = (property.Name, property);
            }

            // RFC 8785 §3.2.3: sort by UTF-16 code units, which is what ordinal string comparison does.
            var sorted = members.AsSpan(0, n);
            sorted.Sort(ByName);
            output.Write("{"u8);
            for (var i = 0; i < n; i++)
            {
                if (i > 0)
                {
                    if (string.Equals(sorted[i - 1].Name, sorted[i].Name, StringComparison.Ordinal))
                    {
                        throw new JsonException($"Duplicate member name '{sorted[i].Name}': RFC 8785 requires unique names.");
                    }

                    output.Write(","u8);
                }

                if (!TryWriteUnescaped(JsonMarshal.GetRawUtf8PropertyName(sorted[i].Property), output))
                {
                    WriteString(sorted[i].Name, output);
                }

                output.Write(":"u8);
                Write(sorted[i].Property.Value, output);
            }

            output.Write("}"u8);
        }
        finally
        {
            members.AsSpan(0, count).Clear();
            ArrayPool<(string Name, JsonProperty Property)>.Shared.Return(members);
        }
    }

    /// <summary>Writes a JSON string's raw UTF-8 text, quoted, when it has no escape sequence and is valid UTF-8; otherwise writes nothing.</summary>
    private static bool TryWriteUnescaped(ReadOnlySpan<byte> raw, IBufferWriter<byte> output)
    {
        if (raw.Length >= 2 && raw[0] == (byte)'"' && raw[^1] == (byte)'"')
        {
            raw = raw[1..^1];
        }

        if (raw.IndexOf((byte)'\\') >= 0 || !Utf8.IsValid(raw))
        {
            return false;
        }

        var span = output.GetSpan(raw.Length + 2);
        span[0] = (byte)'"';
        raw.CopyTo(span[1..]);
        span[raw.Length + 1] = (byte)'"';
        output.Advance(raw.Length + 2);
        return true;
    }

    /// <summary>
    /// Integers of up to 15 digits are exact doubles that ECMAScript prints digit for digit, so their JSON
    /// text is already canonical (negative zero excepted); every other number goes through <see cref="FormatNumber"/>.
    /// </summary>
    private static void WriteNumber(JsonElement element, IBufferWriter<byte> output)
    {
        var raw = JsonMarshal.GetRawUtf8Value(element);
        var digits = raw.Length > 0 && raw[0] == (byte)'-' ? raw[1..] : raw;
        if (digits.Length is > 0 and <= 15
            && (digits[0] != (byte)'0' || digits.Length == 1)
            && !digits.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
        {
            output.Write(digits.Length == 1 && digits[0] == (byte)'0' ? "0"u8 : raw);
            return;
        }

        WriteAscii(FormatNumber(element.GetDouble()), output);
    }

    private static void WriteString(string value, IBufferWriter<byte> output)
    {
        // Fast path: nothing to escape and no surrogate, so the UTF-8 of the string is the canonical text.
        if (value.AsSpan().IndexOfAnyInRange('\u0000', '\u001f') < 0
            && value.AsSpan().IndexOfAny('"', '\\') < 0
            && value.AsSpan().IndexOfAnyInRange('\ud800', '\udfff') < 0)
        {
            var max = Encoding.UTF8.GetMaxByteCount(value.Length) + 2;
            var target = output.GetSpan(max);
            target[0] = (byte)'"';
            var length = Encoding.UTF8.GetBytes(value, target[1..]);
            target[length + 1] = (byte)'"';
            output.Advance(length + 2);
            return;
        }

        var builder = new StringBuilder(value.Length + 2);
        builder.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                    {
                        builder.Append(c).Append(value[++i]);
                    }
                    else if (char.IsSurrogate(c))
                    {
                        throw new JsonException("A lone surrogate cannot be canonicalized (RFC 8785 §3.2.2.2).");
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        builder.Append('"');
        var text = builder.ToString();
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        var written = Encoding.UTF8.GetBytes(text, span);
        output.Advance(written);
    }

    private static void WriteAscii(string value, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(value.Length);
        var written = Encoding.ASCII.GetBytes(value, span);
        output.Advance(written);
    }

    /// <summary>Formats a double as ECMAScript's Number.prototype.toString does (RFC 8785 §3.2.2.3).</summary>
    /// <param name="value">A finite double.</param>
    /// <returns>The ECMAScript text of the number.</returns>
    /// <exception cref="JsonException">The value is NaN or infinite.</exception>
    public static string FormatNumber(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new JsonException("NaN and Infinity are not JSON numbers (RFC 8785 §3.2.2.3).");
        }

        if (value == 0)
        {
            return "0"; // also -0
        }

        // .NET writes the shortest round-trip digits with "R"; only the layout differs from ECMAScript.
        var r = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = r[0] == '-';
        if (negative)
        {
            r = r[1..];
        }

        var exponent = 0;
        var e = r.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..e];
        }

        var dot = r.IndexOf('.', StringComparison.Ordinal);
        var digits = dot >= 0 ? string.Concat(r.AsSpan(0, dot), r.AsSpan(dot + 1)) : r;
        var pointPosition = (dot >= 0 ? dot : r.Length) + exponent;
        var leading = 0;
        while (leading < digits.Length - 1 && digits[leading] == '0')
        {
            leading++;
        }

        digits = digits[leading..];
        pointPosition -= leading;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            return "0";
        }

        var k = digits.Length;
        var n = pointPosition;
        string text;
        if (k <= n && n <= 21)
        {
            text = digits + new string('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            text = string.Concat(digits.AsSpan(0, n), ".", digits.AsSpan(n));
        }
        else if (-6 < n && n <= 0)
        {
            text = "0." + new string('0', -n) + digits;
        }
        else
        {
            var exp = n - 1;
            var sign = exp < 0 ? "-" : "+";
            var mantissa = k == 1 ? digits : string.Concat(digits.AsSpan(0, 1), ".", digits.AsSpan(1));
            text = mantissa + "e" + sign + Math.Abs(exp).ToString(CultureInfo.InvariantCulture);
        }

        return negative ? "-" + text : text;
    }
}
