using System.Security.Cryptography;
using System.Text.Json;

namespace Ops.Core.Identity;

/// <summary>
/// SHA-256 content hashes, written as 64 lowercase hex characters (DESIGN.md §3: hash = SHA-256 over
/// RFC 8785 canonical JSON).
/// </summary>
public static class ContentHash
{
    /// <summary>SHA-256 of raw bytes.</summary>
    /// <param name="bytes">The bytes to hash.</param>
    /// <returns>64 lowercase hex characters.</returns>
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>SHA-256 of the RFC 8785 canonical form of a JSON value.</summary>
    /// <param name="element">Any JSON value.</param>
    /// <returns>64 lowercase hex characters.</returns>
    /// <exception cref="JsonException">The value cannot be canonicalized (see <see cref="CanonicalJson"/>).</exception>
    public static string OfJson(JsonElement element) => Of(CanonicalJson.Canonicalize(element));

    /// <summary>SHA-256 of the RFC 8785 canonical form of a value serialized with <see cref="OpsJson.Options"/>.</summary>
    /// <typeparam name="T">Type of the value.</typeparam>
    /// <param name="value">The value to hash.</param>
    /// <returns>64 lowercase hex characters.</returns>
    public static string OfValue<T>(T value) => Of(CanonicalJson.SerializeToCanonical(value));

    /// <summary>Whether a string is a well-formed hash: exactly 64 lowercase hex characters.</summary>
    /// <param name="value">The candidate.</param>
    /// <returns><see langword="true"/> when well formed.</returns>
    public static bool IsWellFormed(string? value)
    {
        if (value is null || value.Length != 64)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
