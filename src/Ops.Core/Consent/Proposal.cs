using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Packs;

namespace Ops.Core.Consent;

/// <summary>
/// The answer to a proposal (seed 000 §3): every plausible interpretation of the command, highest
/// confidence first, none chosen, each with its preview and preview hash. Proposing writes nothing.
/// </summary>
/// <param name="ProposalId">SHA-256 over the command id, proposed_at and every interpretation's preview hash (64 hex).</param>
/// <param name="Command">The command as the kernel bound it: command_id, actor and scope filled in.</param>
/// <param name="ProposedAt">The decision instant (UTC); commit decides again with this same instant so the signed payloads are what gets written.</param>
/// <param name="ExpiresAt">After this instant (UTC) the proposal cannot be committed: propose again.</param>
/// <param name="Interpretations">One or more interpretations.</param>
public sealed record Proposal(string ProposalId, CommandEnvelope Command, DateTimeOffset ProposedAt, DateTimeOffset ExpiresAt, IReadOnlyList<ProposedInterpretation> Interpretations);

/// <summary>One interpretation of a proposed command.</summary>
/// <param name="InterpretationId">Stable id: 16 hex of SHA-256 over the label.</param>
/// <param name="Label">What this interpretation means, as the handler names it.</param>
/// <param name="Confidence">0 to 1; 1 when the command is unambiguous.</param>
/// <param name="ActionType"><c>mutate</c> (WRITE_*) or <c>read</c>.</param>
/// <param name="Scope">What it affects.</param>
/// <param name="Preview">The pure diff: ordered changes of path, before, after.</param>
/// <param name="Reversibility">How it can be undone.</param>
/// <param name="AuditRequirements">What the committed record will hold.</param>
/// <param name="Events">The events that would be appended, in order.</param>
/// <param name="PreviewHash">SHA-256 over the canonical interpretation (command id, interpretation id, proposed_at, stream, preview, events, reversibility): what a signature is bound to.</param>
public sealed record ProposedInterpretation(
    string InterpretationId,
    string Label,
    double Confidence,
    string ActionType,
    ActionScope Scope,
    IReadOnlyList<PreviewChange> Preview,
    Reversibility Reversibility,
    IReadOnlyList<string> AuditRequirements,
    IReadOnlyList<ProposedEvent> Events,
    string PreviewHash);

/// <summary>What an interpretation affects.</summary>
/// <param name="CommandType">The command type.</param>
/// <param name="TargetRef">The command's target.</param>
/// <param name="StreamId">The stream that would receive the events.</param>
/// <param name="SafetyClass">Declared safety class.</param>
public sealed record ActionScope(string CommandType, string TargetRef, string StreamId, SafetyClass SafetyClass);

/// <summary>An event that would be appended.</summary>
/// <param name="EventType">Registered event type.</param>
/// <param name="PayloadSchemaVersion">Its payload schema version.</param>
/// <param name="Payload">The payload exactly as it would be stored.</param>
public sealed record ProposedEvent(string EventType, int PayloadSchemaVersion, JsonElement Payload);
