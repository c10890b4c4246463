namespace Ops.Core.Packs;

/// <summary>
/// The entry point of a pack, named by <c>entry_type</c> in its <c>pack.json</c> manifest. The host
/// creates it with a public parameterless constructor and calls <see cref="Register"/> once, at load.
/// </summary>
public interface IOpsPack
{
    /// <summary>Declares the pack's events, commands, projections, queries and connectors.</summary>
    /// <param name="builder">The registration builder; names outside <c>pack.&lt;pack_id&gt;.</c> are refused.</param>
    void Register(IPackBuilder builder);
}
