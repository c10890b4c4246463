using System.Diagnostics.Metrics;
using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Ops.Core.Hosting;
using Ops.Testing;

namespace Ops.Core.Tests;

public sealed class TelemetryTests
{
    [Fact]
    public async Task Commit_RecordsCommandCounterWithStageAndOutcome()
    {
        var seen = new List<(long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == OpsTelemetry.Name && instrument.Name == "ops.commands")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var map = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                map[tag.Key] = tag.Value;
            }

            lock (seen)
            {
                seen.Add((value, map));
            }
        });
        listener.Start();
        await using var h = await KernelHarness.StartAsync();

        await h.SendAsync("core.RegisterActor", null, new RegisterActor("telemetry-bob", ActorKind.Human, "Bob"));
        await h.SendWithoutConsentAsync("core.RegisterActor", null, new RegisterActor("telemetry-eve", ActorKind.Human, "Eve"));

        lock (seen)
        {
            Assert.Contains(seen, m => Equals(m.Tags["stage"], "propose") && Equals(m.Tags["outcome"], "proposed") && Equals(m.Tags["command_type"], "core.RegisterActor"));
            Assert.Contains(seen, m => Equals(m.Tags["stage"], "commit") && Equals(m.Tags["outcome"], "accepted"));
            Assert.Contains(seen, m => Equals(m.Tags["stage"], "send") && Equals(m.Tags["outcome"], "rejected") && Equals(m.Tags["reason_code"], "consent_required"));
        }
    }
}
