namespace Ops.Core.Errors;

/// <summary>
/// The kernel's one exception type for refusals and failures that are not a command outcome: it
/// carries a reason code from <see cref="ReasonCodes"/>, and its message says what failed and what did
/// not change. The edge translates it by <see cref="Code"/>, never by its message.
/// </summary>
public sealed class OpsException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">A code from <see cref="ReasonCodes"/>.</param>
    /// <param name="message">What failed and what did not change, for the operator.</param>
    /// <param name="inner">The underlying failure, if any; it is logged, never shown to a client.</param>
    public OpsException(string code, string message, Exception? inner = null)
        : base(message, inner)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
    }

    /// <summary>The reason code.</summary>
    public string Code { get; }

    /// <summary>The code's kind, for the edge.</summary>
    public ReasonKind Kind => ReasonCodes.KindOf(Code);
}
