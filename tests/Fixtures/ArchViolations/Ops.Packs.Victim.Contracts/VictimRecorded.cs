namespace Ops.Packs.Victim.Contracts;

/// <summary>An event of the fixture pack, public through its contract module.</summary>
/// <param name="Id">The recorded item.</param>
public sealed record VictimRecorded(string Id);
