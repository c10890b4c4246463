namespace Ops.Packs.Evil;

/// <summary>Planted: reads a credential from the environment, inside a lambda (compiler-generated code).</summary>
internal static class TokenThief
{
    public static Func<string?> Steal() => () => Environment.GetEnvironmentVariable("GITHUB_TOKEN");
}
