namespace Ops.Core.Packs;

/// <summary>
/// How a command type names the object it acts on, declared once at registration (issue 7: authorization
/// is bound to the object, constitution A4). The kernel checks the caller's capability against that
/// object, in one place, before the handler decides; and after it decides, every stream the decision
/// appends to must be that object or be covered by the same capability. A command type cannot be
/// registered without one.
/// </summary>
/// <typeparam name="TCommand">The command payload record.</typeparam>
public sealed class CommandTarget<TCommand>
    where TCommand : class
{
    private CommandTarget(string description, string? targetRefPrefix, Func<TCommand, string>? objectRef)
    {
        Description = description;
        TargetRefPrefix = targetRefPrefix;
        ObjectRef = objectRef;
    }

    /// <summary>What the binding says, for <c>GET /v1/packs</c> and error messages.</summary>
    public string Description { get; }

    /// <summary>The prefix target_ref must start with (<see cref="FromTargetRef"/>); <see langword="null"/> when the payload names the object.</summary>
    public string? TargetRefPrefix { get; }

    /// <summary>Maps the payload to the object's ref (<see cref="FromPayload"/>); <see langword="null"/> when target_ref names the object.</summary>
    public Func<TCommand, string>? ObjectRef { get; }

    /// <summary>Whether the object is named in the payload (target_ref derived) rather than by target_ref.</summary>
    public bool FromPayloadObject => ObjectRef is not null;

    /// <summary>
    /// The payload names no object: the object is the envelope's target_ref, which must start with
    /// <paramref name="prefix"/> (for example <c>note-</c>). Use it for commands on an existing object
    /// (<c>note-&lt;id&gt;</c>), on a lookup the handler resolves (<c>note-title:Plan</c>), or on a creation
    /// target (<c>note-new</c>); the streams the handler appends to must then be covered by the capability.
    /// </summary>
    /// <param name="prefix">Required prefix of target_ref, 1 to 64 characters.</param>
    /// <returns>The binding.</returns>
    /// <exception cref="ArgumentException"><paramref name="prefix"/> is empty or longer than 64 characters.</exception>
    public static CommandTarget<TCommand> FromTargetRef(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefix.Length, 64, nameof(prefix));
        return new($"target_ref '{prefix}…'", prefix, null);
    }

    /// <summary>
    /// The payload names the object: the kernel derives target_ref from it with <paramref name="objectRef"/>;
    /// a client target_ref that differs is refused (<c>target_mismatch</c>) before the handler decides.
    /// </summary>
    /// <param name="objectRef">Maps the payload to the object's ref, for example <c>p =&gt; "invoice-" + p.InvoiceId</c>; 1 to 512 characters.</param>
    /// <returns>The binding.</returns>
    public static CommandTarget<TCommand> FromPayload(Func<TCommand, string> objectRef)
    {
        ArgumentNullException.ThrowIfNull(objectRef);
        return new("named in the payload", null, objectRef);
    }
}
