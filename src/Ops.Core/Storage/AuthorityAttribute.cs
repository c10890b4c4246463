namespace Ops.Core.Storage;

/// <summary>The authority classes of seed 004: who may commit state, and to which tables.</summary>
public enum AuthorityClass
{
    LogAppender = 1,
    ProjectionRunner = 2,
    Bootstrap = 3,
    SchemaMigrator = 4,
}

/// <summary>Declares the authority class of a type that commits state (seed 004, DESIGN.md §7).</summary>
/// <param name="authority">The class.</param>
/// <param name="tables">Tables the type may write.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class AuthorityAttribute(AuthorityClass authority, params string[] tables) : Attribute
{
    public AuthorityClass Authority { get; } = authority;

    public IReadOnlyList<string> Tables { get; } = tables;
}
