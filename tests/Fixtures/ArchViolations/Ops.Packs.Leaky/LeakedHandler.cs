namespace Ops.Packs.Leaky;

/// <summary>Planted: a public implementation type.</summary>
public sealed class LeakedHandler
{
    public static string Handle(string input) => input;
}

/// <summary>No violation: internal. The rule must not name this type.</summary>
internal sealed class HiddenHandler
{
    public static string Handle(string input) => input;
}
