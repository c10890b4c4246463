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

    /// <summary>The document key an event updates, or <see langword="null"/> to skip the event.</summary>
    /// <param name="envelope">The event.</param>
    /// <returns>A key of at most 512 characters, or <see langword="null"/>.</returns>
    string? KeyOf(EventEnvelope envelope);

    /// <summary>Folds one event into a document.</summary>
    /// <param name="current">The current document, or <see langword="null"/> when none exists.</param>
    /// <param name="envelope">The event.</param>
    /// <returns>The new document, or <see langword="null"/> to remove it.</returns>
    TDocument? Apply(TDocument? current, EventEnvelope envelope);
}

/// <summary>Reads projection documents of the calling pack.</summary>
public interface IProjectionReader
{
    /// <summary>Reads one document.</summary>
    /// <typeparam name="TDocument">The document record.</typeparam>
    /// <param name="projectionName">The projection's registered name.</param>
    /// <param name="key">The document key.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The document, or <see langword="null"/>.</returns>
    ValueTask<TDocument?> GetAsync<TDocument>(string projectionName, string key, CancellationToken cancellationToken)
        where TDocument : class;

    /// <summary>Reads every document of a projection, ordered by key (ordinal).</summary>
    /// <typeparam name="TDocument">The document record.</typeparam>
    /// <param name="projectionName">The projection's registered name.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The documents.</returns>
    ValueTask<IReadOnlyList<TDocument>> ListAsync<TDocument>(string projectionName, CancellationToken cancellationToken)
        where TDocument : class;
}
