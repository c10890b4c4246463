namespace Ops.Core.Envelopes;

/// <summary>Who acted: every action records its actor (constitution A4).</summary>
/// <param name="Id">Stable actor id, for example <c>alice</c> or <c>svc-sync</c>.</param>
/// <param name="Kind">Human, service or agent.</param>
public sealed record ActorRef(string Id, ActorKind Kind);

/// <summary>The three kinds of actor of constitution A4.</summary>
public enum ActorKind
{
    /// <summary>A person.</summary>
    Human = 1,

    /// <summary>A program acting on its own account.</summary>
    Service = 2,

    /// <summary>An AI agent.</summary>
    Agent = 3,
}
