namespace Ops.Core.Storage;

/// <summary>The authority classes of seed 004: who may commit state, and to which tables.</summary>
public enum AuthorityClass
{
    /// <summary>Appends to the log, the outcome chain, cursors and the outbox (the single writer).</summary>
    LogAppender = 1,
    /// <summary>Writes projection documents and checkpoints.</summary>
    ProjectionRunner = 2,
    /// <summary>Writes the first records of an empty log (<c>init</c>).</summary>
    Bootstrap = 3,
    /// <summary>Changes the schema (migrations).</summary>
    SchemaMigrator = 4,
}

/// <summary>Declares the authority class of a type that commits state (seed 004, DESIGN.md §7).</summary>
/// <param name="authority">The class.</param>
/// <param name="tables">Tables the type may write.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class AuthorityAttribute(AuthorityClass authority, params string[] tables) : Attribute
{
    /// <summary>The class.</summary>
    public AuthorityClass Authority { get; } = authority;

    /// <summary>The tables the type may write.</summary>
    public IReadOnlyList<string> Tables { get; } = tables;
}
