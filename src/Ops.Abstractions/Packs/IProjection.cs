using Ops.Core.Envelopes;

namespace Ops.Core.Packs;

/// <summary>
/// A projection (constitution A6): a pure, deterministic fold of events into keyed documents. The
/// kernel feeds it events in log order live and in canonical order on rebuild; both must give the
/// same documents, so <see cref="Apply"/> must depend only on its inputs.
/// </summary>
/// <typeparam name="TDocument">The document record.</typeparam>
public interface IProjection<TDocument>
    where TDocument : class
{
    /// <summary>Event types this projection consumes.</summary>
    IReadOnlyCollection<string> EventTypes { get; }

    /// <summary>
    /// The document key an event updates, or <see langword="null"/> to skip the event. The kernel keeps
    /// the document under this key and the event's tenant and mode, so keys need not be unique across tenants.
    /// </summary>
    /// <param name="envelope">The event.</param>
    /// <returns>A key of at most 512 characters, or <see langword="null"/>.</returns>
    string? KeyOf(EventEnvelope envelope);

    /// <summary>Folds one event into a document.</summary>
    /// <param name="current">The current document of the event's tenant and mode with that key, or <see langword="null"/> when none exists.</param>
    /// <param name="envelope">The event.</param>
    /// <returns>The new document, or <see langword="null"/> to remove it.</returns>
    TDocument? Apply(TDocument? current, EventEnvelope envelope);
}

/// <summary>
/// Reads projection documents of the calling pack, scoped by the kernel to the caller's tenant (from
/// its registered actor) and the host's mode (seed 001: tenant and mode enforced server-side): a
/// handler sees only that tenant's documents whatever it asks for. Reading a projection registered
/// with <see cref="ProjectionTenancy.SpansTenants"/> needs a caller capability for
/// <c>core.ReadAcrossTenants</c> on <c>projection:&lt;name&gt;</c>, else it throws
/// <see cref="Errors.OpsException"/> with <see cref="Errors.ReasonCodes.CapabilityDenied"/>.
/// Reading another pack's projection throws <see cref="Errors.OpsException"/> with <see cref="Errors.ReasonCodes.PackFault"/>.
/// </summary>
public interface IProjectionReader
{
    /// <summary>Reads one document of the caller's tenant.</summary>
    /// <typeparam name="TDocument">The document record.</typeparam>
    /// <param name="projectionName">The projection's registered name.</param>
    /// <param name="key">The document key.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The document, or <see langword="null"/>.</returns>
    ValueTask<TDocument?> GetAsync<TDocument>(string projectionName, string key, CancellationToken cancellationToken)
        where TDocument : class;

    /// <summary>Reads every document of the caller's tenant in a projection, ordered by key (UTF-8 byte order).</summary>
    /// <typeparam name="TDocument">The document record.</typeparam>
    /// <param name="projectionName">The projection's registered name.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The documents.</returns>
    ValueTask<IReadOnlyList<TDocument>> ListAsync<TDocument>(string projectionName, CancellationToken cancellationToken)
        where TDocument : class;
}
