namespace Ops.Testing;

/// <summary>
/// A clock that moves only when told (Microsoft.Extensions.TimeProvider.Testing's FakeTimeProvider is
/// not in the package mirror). Timers are not supported: tests drive work explicitly.
/// </summary>
/// <param name="start">The instant it starts at (UTC).</param>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    /// <summary>Starts at 2026-11-21T09:00:00Z.</summary>
    public ManualTimeProvider()
        : this(new DateTimeOffset(2026, 11, 21, 9, 0, 0, TimeSpan.Zero))
    {
    }

    /// <summary>The current instant.</summary>
    /// <returns>The instant last set or advanced to.</returns>
    public override DateTimeOffset GetUtcNow() => _now;

    /// <summary>Moves the clock forward (or back, with a negative span).</summary>
    /// <param name="by">How far.</param>
    public void Advance(TimeSpan by) => _now += by;

    /// <summary>Sets the clock.</summary>
    /// <param name="to">The new instant.</param>
    public void Set(DateTimeOffset to) => _now = to;
}
