namespace Ops.Core.Packs;

/// <summary>
/// A handler's decision (seed 000 §3–4): events to append to one stream with a before/after preview of
/// what they change, a rejection with a reason, or, when the command is ambiguous, every plausible
/// interpretation ordered by confidence, none chosen.
/// </summary>
public sealed record Decision
{
    private Decision(IReadOnlyList<object> events, string? streamKey, string? reasonCode, string? reason, IReadOnlyList<DecisionOption> options)
    {
        Events = events;
        StreamKey = streamKey;
        ReasonCode = reasonCode;
        Reason = reason;
        Options = options;
    }

    /// <summary>Event payloads to append, in order; each must be a registered event record.</summary>
    public IReadOnlyList<object> Events { get; }

    /// <summary>Stream to append to; <see langword="null"/> means the command's target_ref.</summary>
    public string? StreamKey { get; }

    /// <summary>Machine-readable reason code of a rejection.</summary>
    public string? ReasonCode { get; }

    /// <summary>Human-readable reason of a rejection.</summary>
    public string? Reason { get; }

    /// <summary>Whether this is a rejection.</summary>
    public bool IsRejected => ReasonCode is not null;

    /// <summary>Whether the handler supplied a preview (<see cref="WithPreview"/>). A WRITE decision without one cannot be proposed (seed 000 §3).</summary>
    public bool HasPreview { get; private init; }

    /// <summary>The state of the target before the change, as the handler shows it (serialized as JSON); <see langword="null"/> when it does not exist yet.</summary>
    public object? PreviewBefore { get; private init; }

    /// <summary>The state of the target after the change; <see langword="null"/> when the change removes it.</summary>
    public object? PreviewAfter { get; private init; }

    /// <summary>How the change can be undone.</summary>
    public Reversibility Reversibility { get; private init; } = Reversibility.Reversible;

    /// <summary>Every plausible interpretation when the command is ambiguous, highest confidence first; empty otherwise.</summary>
    public IReadOnlyList<DecisionOption> Options { get; }

    /// <summary>Whether the handler returned several interpretations.</summary>
    public bool IsAmbiguous => Options.Count > 0;

    /// <summary>Accepts the command with events for the command's target stream.</summary>
    /// <param name="events">One or more registered event payloads.</param>
    /// <returns>An accepting decision; add <see cref="WithPreview"/> for WRITE commands.</returns>
    /// <exception cref="ArgumentException">No events were given.</exception>
    public static Decision Accept(params object[] events) => AcceptOn(null, events);

    /// <summary>Accepts the command with events for a named stream of the pack.</summary>
    /// <param name="streamKey">Pack-local stream key; <see langword="null"/> for the target_ref.</param>
    /// <param name="events">One or more registered event payloads.</param>
    /// <returns>An accepting decision; add <see cref="WithPreview"/> for WRITE commands.</returns>
    /// <exception cref="ArgumentException">No events were given.</exception>
    public static Decision AcceptOn(string? streamKey, params object[] events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Length == 0)
        {
            throw new ArgumentException("An accepted command appends at least one event.", nameof(events));
        }

        return new Decision(events, streamKey, null, null, []);
    }

    /// <summary>Rejects the command; nothing is appended.</summary>
    /// <param name="reasonCode">Lowercase code, for example <c>note_not_found</c>.</param>
    /// <param name="reason">What failed, in a sentence.</param>
    /// <returns>A rejecting decision.</returns>
    public static Decision Reject(string reasonCode, string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reasonCode);
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new Decision([], null, reasonCode, reason, []);
    }

    /// <summary>
    /// The command could mean several things (seed 000 §2.2): return every plausible interpretation; the
    /// kernel orders them by confidence and proposes all of them, none chosen. The signer picks one.
    /// </summary>
    /// <param name="options">Two or more accepting decisions with previews, each with a label and a confidence in [0, 1].</param>
    /// <returns>An ambiguous decision.</returns>
    /// <exception cref="ArgumentException">Fewer than two options, an option that is not an accepted decision with a preview, a confidence outside [0, 1], or duplicate labels.</exception>
    public static Decision Ambiguous(params DecisionOption[] options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Length < 2)
        {
            throw new ArgumentException("An ambiguous decision has at least two interpretations; with one, accept it.", nameof(options));
        }

        if (options.Any(o => o.Decision.IsRejected || o.Decision.IsAmbiguous || !o.Decision.HasPreview || o.Confidence is < 0 or > 1 || double.IsNaN(o.Confidence)))
        {
            throw new ArgumentException("Each interpretation must be an accepted decision with a preview and a confidence in [0, 1].", nameof(options));
        }

        if (options.Select(o => o.Label).Distinct(StringComparer.Ordinal).Count() != options.Length)
        {
            throw new ArgumentException("Interpretation labels must be distinct.", nameof(options));
        }

        // Highest confidence first; the label breaks ties so the order is deterministic.
        var ordered = options.OrderByDescending(o => o.Confidence).ThenBy(o => o.Label, StringComparer.Ordinal).ToList();
        return new Decision([], null, null, null, ordered);
    }

    /// <summary>Adds the before/after preview the kernel turns into a pure, ordered diff (seed 000 §4).</summary>
    /// <param name="before">The target as it is; <see langword="null"/> when it does not exist yet.</param>
    /// <param name="after">The target as it will be; <see langword="null"/> when the change removes it.</param>
    /// <param name="reversibility">How the change can be undone.</param>
    /// <returns>The decision with its preview.</returns>
    /// <exception cref="Errors.OpsException"><see cref="Errors.ReasonCodes.PackFault"/>: the decision is a rejection or ambiguous.</exception>
    public Decision WithPreview(object? before, object? after, Reversibility reversibility = Reversibility.Reversible) =>
        IsRejected || IsAmbiguous
            ? throw new Errors.OpsException(Errors.ReasonCodes.PackFault, "The handler added a preview to a rejecting or ambiguous decision: only an accepting decision has a preview. Nothing was appended.")
            : this with { HasPreview = true, PreviewBefore = before, PreviewAfter = after, Reversibility = reversibility };
}

/// <summary>One interpretation of an ambiguous command.</summary>
/// <param name="Label">Short, stable description shown to the signer, for example <c>note 3f2a… "Plan"</c>.</param>
/// <param name="Confidence">How plausible, 0 to 1.</param>
/// <param name="Decision">What this interpretation would do: an accepting decision with a preview.</param>
public sealed record DecisionOption(string Label, double Confidence, Decision Decision);

/// <summary>Reversibility of a change (seed 000 §3).</summary>
public enum Reversibility
{
    /// <summary>Another command restores the previous state.</summary>
    Reversible = 1,

    /// <summary>Only a compensating action can offset it.</summary>
    Compensatable = 2,

    /// <summary>It cannot be undone.</summary>
    Irreversible = 3,
}
