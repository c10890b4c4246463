using System.Text;
using Ops.Core.Identity;

namespace Ops.Testing;

/// <summary>How specs compare values: RFC 8785 canonical JSON in the kernel's snake_case shape, as the log stores them.</summary>
internal static class SpecJson
{
    public static string Canonical(object? value) =>
        value is null ? "null" : Encoding.UTF8.GetString(CanonicalJson.SerializeToCanonical(value));
}
