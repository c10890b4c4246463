namespace Ops.Packs.Evil;

/// <summary>No violation: the rules must not name this type.</summary>
internal static class Innocent
{
    public static string Greet(string name) => "hello " + name + Environment.NewLine;
}
