namespace Ops.Core.Storage;

/// <summary>Same full name and shape as Ops.Core's own attribute, which the rule matches by name.</summary>
internal enum AuthorityClass
{
    LogAppender = 1,
    ProjectionRunner = 2,
}

[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class AuthorityAttribute(AuthorityClass authority, params string[] tables) : Attribute
{
    public AuthorityClass Authority { get; } = authority;

    public IReadOnlyList<string> Tables { get; } = tables;
}
