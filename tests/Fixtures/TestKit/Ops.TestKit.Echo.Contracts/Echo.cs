namespace Ops.TestKit.Echo.Contracts;

/// <summary>The echo pack's names.</summary>
public static class EchoNames
{
    /// <summary>The pack id.</summary>
    public const string PackId = "echo";

    /// <summary>Command type of <see cref="Contracts.Shout"/>.</summary>
    public const string Shout = "pack.echo.echoes.Shout";

    /// <summary>Event type of <see cref="Contracts.Shouted"/>.</summary>
    public const string Shouted = "pack.echo.echoes.Shouted";

    /// <summary>Projection of <see cref="EchoDocument"/> by echo id.</summary>
    public const string EchoIndex = "pack.echo.echoes.EchoIndex";

    /// <summary>Query name of <see cref="Contracts.GetEcho"/>.</summary>
    public const string GetEcho = "pack.echo.echoes.GetEcho";

    /// <summary>Route of <see cref="GetEcho"/>.</summary>
    public const string GetEchoRoute = "get";

    /// <summary>Reason code: the text is empty.</summary>
    public const string EmptyText = "empty_text";

    /// <summary>Reason code: that echo exists.</summary>
    public const string EchoExists = "echo_exists";

    /// <summary>The target_ref of an echo.</summary>
    /// <param name="echoId">The echo's id.</param>
    /// <returns><c>echo-&lt;id&gt;</c>.</returns>
    public static string TargetOf(string echoId) => "echo-" + echoId;
}

/// <summary>Says something once; the payload names the echo.</summary>
/// <param name="EchoId">The echo's id.</param>
/// <param name="Text">What to say; not empty.</param>
/// <param name="Tags">Optional tags.</param>
public sealed record Shout(string EchoId, string Text, IReadOnlyList<string>? Tags = null);

/// <summary>Who shouted.</summary>
/// <param name="ActorId">The actor.</param>
/// <param name="TenantId">Its tenant.</param>
public sealed record EchoSource(string ActorId, string TenantId);

/// <summary>Something was said.</summary>
/// <param name="EchoId">The echo's id.</param>
/// <param name="Text">What was said.</param>
/// <param name="Tags">Its tags.</param>
/// <param name="Source">Who said it.</param>
/// <param name="At">When.</param>
public sealed record Shouted(string EchoId, string Text, IReadOnlyList<string> Tags, EchoSource Source, DateTimeOffset At);

/// <summary>An echo as the index holds it.</summary>
/// <param name="EchoId">The echo's id.</param>
/// <param name="Text">What was said.</param>
/// <param name="By">Who said it.</param>
public sealed record EchoDocument(string EchoId, string Text, string By);

/// <summary>Reads one echo.</summary>
/// <param name="EchoId">The echo's id.</param>
public sealed record GetEcho(string EchoId);
