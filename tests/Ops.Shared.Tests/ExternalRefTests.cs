namespace Ops.Shared.Tests;

public sealed class ExternalRefTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 21, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Key_SameEntityObservedTwice_SameKey()
    {
        var first = new ExternalRef("github", "issue", "octo/repo#13", "github.issues", At);
        var later = first with { ObservedAt = At.AddDays(3), ObservedBy = "github.backfill" };

        Assert.Equal(first.Key, later.Key);
        Assert.NotEqual(first.Key, (first with { NativeId = "octo/repo#14" }).Key);
        Assert.Equal(64, first.Key.Length);
    }

    [Theory]
    [InlineData("GitHub", "issue", "x", "c")]
    [InlineData("github", "", "x", "c")]
    [InlineData("github", "issue", " ", "c")]
    [InlineData("github", "issue", "x", "")]
    public void Validate_BadFields_SaysWhy(string system, string kind, string nativeId, string observedBy) =>
        Assert.NotNull(new ExternalRef(system, kind, nativeId, observedBy, At).Validate());
}
