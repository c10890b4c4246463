namespace Ops.Core.Envelopes;

/// <summary>What a <c>causation_id</c> refers to (constitution A2): exactly one of these.</summary>
public enum CausationType
{
    /// <summary>An event_id.</summary>
    Event = 1,

    /// <summary>A command_id.</summary>
    Command = 2,

    /// <summary>A derived_artifact_id.</summary>
    DerivedArtifact = 3,

    /// <summary>A user_action_id.</summary>
    UserAction = 4,
}
