namespace Ops.Core.Packs;

/// <summary>A pack was refused at load. The message names the pack, what was wrong and what to do; nothing of the pack was registered.</summary>
public sealed class PackLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="packId">The refused pack.</param>
    /// <param name="message">What was wrong.</param>
    /// <param name="inner">The underlying failure, if any.</param>
    public PackLoadException(string packId, string message, Exception? inner = null)
        : base($"Pack '{packId}' was not loaded: {message}", inner)
    {
        PackId = packId;
        Reason = message;
    }

    /// <summary>The refused pack.</summary>
    public string PackId { get; }

    /// <summary>What was wrong, without the pack's name in front (the message is "Pack '&lt;id&gt;' was not loaded: " + this).</summary>
    public string Reason { get; }
}
