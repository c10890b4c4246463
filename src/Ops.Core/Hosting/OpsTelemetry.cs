using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Ops.Core.Hosting;

/// <summary>
/// Metrics and traces of the kernel, on System.Diagnostics so any OpenTelemetry exporter can collect
/// them (DESIGN.md §5). Meter and ActivitySource are both named <see cref="Name"/>.
/// </summary>
public static class OpsTelemetry
{
    /// <summary>The meter and activity source name: <c>AlignTrue.Ops</c>.</summary>
    public const string Name = "AlignTrue.Ops";

    internal static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>Commands decided, tagged <c>command_type</c>, <c>stage</c> (send, propose, commit) and <c>outcome</c> (accepted, rejected, proposed) with <c>reason_code</c> when rejected.</summary>
    internal static readonly Counter<long> Commands = Meter.CreateCounter<long>("ops.commands", unit: "{command}", description: "Commands decided by the gateway.");

    /// <summary>Time from receiving a command to its outcome, in milliseconds, tagged <c>stage</c>.</summary>
    internal static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("ops.command.duration", unit: "ms", description: "Time from receipt to outcome.");

    /// <summary>Events appended by connector syncs, tagged <c>connector</c>.</summary>
    internal static readonly Counter<long> Ingested = Meter.CreateCounter<long>("ops.connector.appended", unit: "{event}", description: "Events appended by connectors.");

    /// <summary>Refusals recorded on the safety stream (each one, coalesced or not), tagged <c>reason_code</c>.</summary>
    internal static readonly Counter<long> SafetyDecisions = Meter.CreateCounter<long>("ops.safety.decisions", unit: "{refusal}", description: "Refusals on a trust boundary.");

    /// <summary>Projections parked after their fold threw, tagged <c>projection</c>.</summary>
    internal static readonly Counter<long> ProjectionsParked = Meter.CreateCounter<long>("ops.projections.parked", unit: "{projection}", description: "Projections parked after their fold threw (issue 16 item 6).");

    /// <summary>Exceptions from pack handlers caught at the kernel boundary, tagged <c>pack</c>.</summary>
    internal static readonly Counter<long> PackFaults = Meter.CreateCounter<long>("ops.packs.faults", unit: "{fault}", description: "Exceptions from pack code caught at the kernel boundary (issue 16 item 6).");

    /// <summary>Egress request events appended (a move, a receipt, a credential issuance), tagged <c>event_type</c>.</summary>
    internal static readonly Counter<long> EgressEvents = Meter.CreateCounter<long>("ops.egress.events", unit: "{event}", description: "Moves and receipts of egress requests.");

    internal static void Record(string stage, string commandType, Envelopes.CommandOutcome? outcome, long startedTimestamp)
    {
        var tags = new TagList
        {
            { "stage", stage },
            { "command_type", commandType },
            { "outcome", outcome is null ? "proposed" : outcome.IsAccepted ? "accepted" : "rejected" },
        };
        if (outcome?.ReasonCode is { } reason)
        {
            tags.Add("reason_code", reason);
        }

        Commands.Add(1, tags);
        Duration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalMilliseconds, new KeyValuePair<string, object?>("stage", stage));
    }
}
