namespace Ops.Packs.Evil.Contracts;

/// <summary>No violation: the rules must not name this type.</summary>
/// <param name="Id">An id.</param>
public sealed record CleanContract(string Id);
