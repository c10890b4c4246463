using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

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
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(element, buffer);
        return buffer.WrittenSpan.ToArray();
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
                WriteString(element.GetString()!, output);
                break;
            case JsonValueKind.Number:
                WriteAscii(FormatNumber(element.GetDouble()), output);
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

    private static void WriteObject(JsonElement element, IBufferWriter<byte> output)
    {
        var members = new List<JsonProperty>();
        foreach (var property in element.EnumerateObject())
        {
            members.Add(property);
        }

        // RFC 8785 §3.2.3: sort by UTF-16 code units, which is what ordinal string comparison does.
        members.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        output.Write("{"u8);
        for (var i = 0; i < members.Count; i++)
        {
            if (i > 0)
            {
                if (string.Equals(members[i - 1].Name, members[i].Name, StringComparison.Ordinal))
                {
                    throw new JsonException($"Duplicate member name '{members[i].Name}': RFC 8785 requires unique names.");
                }

                output.Write(","u8);
            }

            WriteString(members[i].Name, output);
            output.Write(":"u8);
            Write(members[i].Value, output);
        }

        output.Write("}"u8);
    }

    private static void WriteString(string value, IBufferWriter<byte> output)
    {
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
