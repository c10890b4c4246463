using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ops.Core.Identity;

namespace Ops.Core.Tests;

public sealed class DeterministicIdTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 21, 14, 22, 32, TimeSpan.Zero);

    [Fact]
    public void EventId_FixedInput_IsSha256OfCanonicalFields()
    {
        var payloadHash = ContentHash.OfJson(JsonDocument.Parse("""{"title":"x","n":1}""").RootElement);

        var id = DeterministicIds.EventId("connector:github.issues", "octo/repo#13", payloadHash, At);

        // Independently built canonical text: members sorted, instant with 7 fractional digits.
        var canonical = $"{{\"occurred_at\":\"2026-11-21T14:22:32.0000000Z\",\"payload_hash\":\"{payloadHash}\",\"source_native_id\":\"octo/repo#13\",\"source_ref\":\"connector:github.issues\"}}";
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))), id);
    }

    [Fact]
    public void EventId_FixedVector_IsStableAcrossRunsAndMachines()
    {
        // A pinned vector: if this changes, every stored event id changes. Never update it casually.
        var payloadHash = ContentHash.OfJson(JsonDocument.Parse("""{"b":2,"a":1}""").RootElement);

        // Values computed independently (Python hashlib + json.dumps(sort_keys=True, separators=(",", ":"))).
        Assert.Equal("43258cff783fe7036d8a43033f830adfc60ec037382473548ac742b888292777", payloadHash);
        Assert.Equal("9d7db9a15c38e3343861ac9e6b30034d4d600b8fec47aea5d4f0d0191f93ec19", DeterministicIds.EventId("src", "native-1", payloadHash, At));
        Assert.Equal(
            DeterministicIds.EventId("src", "native-1", payloadHash, At),
            DeterministicIds.EventId("src", "native-1", payloadHash, At.ToOffset(TimeSpan.FromHours(5))));
    }

    [Fact]
    public void EventId_AnyFieldChanges_IdChanges()
    {
        var h1 = new string('a', 64);
        var h2 = new string('b', 64);
        var baseline = DeterministicIds.EventId("s", "n", h1, At);

        Assert.NotEqual(baseline, DeterministicIds.EventId("s2", "n", h1, At));
        Assert.NotEqual(baseline, DeterministicIds.EventId("s", "n2", h1, At));
        Assert.NotEqual(baseline, DeterministicIds.EventId("s", "n", h2, At));
        Assert.NotEqual(baseline, DeterministicIds.EventId("s", "n", h1, At.AddTicks(1)));
    }

    [Fact]
    public void CommandId_PayloadKeyOrder_DoesNotMatter()
    {
        var a = DeterministicIds.CommandId("t", "alice", "pack.notes.notes.CreateNote", "note-new", JsonDocument.Parse("""{"x":1,"y":[1,2]}""").RootElement, null);
        var b = DeterministicIds.CommandId("t", "alice", "pack.notes.notes.CreateNote", "note-new", JsonDocument.Parse("""{ "y":[1,2], "x":1.0 }""").RootElement, null);
        var keyed = DeterministicIds.CommandId("t", "alice", "pack.notes.notes.CreateNote", "note-new", JsonDocument.Parse("""{"x":1}""").RootElement, "k1");

        Assert.Equal(a, b);
        Assert.NotEqual(a, keyed);
        Assert.True(ContentHash.IsWellFormed(a));
    }
}
