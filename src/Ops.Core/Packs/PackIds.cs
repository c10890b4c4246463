namespace Ops.Core.Packs;

/// <summary>Pack ids (DESIGN.md §4): the namespace a pack's commands, events, projections and streams live in.</summary>
public static class PackIds
{
    /// <summary>Whether <paramref name="packId"/> is a well-formed pack id: <c>[a-z][a-z0-9_]*</c>, at most 64 characters.</summary>
    /// <param name="packId">The candidate.</param>
    /// <returns>Whether a pack may be named so.</returns>
    public static bool IsValid(string? packId) => Naming.OpsTypeName.IsValidPackId(packId);
}
