using Ops.Core.Envelopes;

namespace Ops.Core.Packs;

/// <summary>Answers a READ query from projection documents.</summary>
/// <typeparam name="TQuery">The query record, bound from the query string (snake_case names).</typeparam>
/// <typeparam name="TResult">The result, serialized as JSON.</typeparam>
public interface IQueryHandler<TQuery, TResult>
    where TQuery : class
{
    /// <summary>Runs the query.</summary>
    /// <param name="context">The query, the caller and read access to the pack's projections.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The result.</returns>
    ValueTask<TResult> ExecuteAsync(QueryContext<TQuery> context, CancellationToken cancellationToken);
}

/// <summary>What a query handler sees.</summary>
/// <typeparam name="TQuery">The query record.</typeparam>
/// <param name="Query">The bound query.</param>
/// <param name="Actor">The authenticated caller.</param>
/// <param name="Scope">Server-derived identity scope of the caller.</param>
/// <param name="Projections">Read access to the pack's projection documents of the caller's tenant and the host's mode (see <see cref="IProjectionReader"/>).</param>
public sealed record QueryContext<TQuery>(TQuery Query, ActorRef Actor, IdentityScope Scope, IProjectionReader Projections)
    where TQuery : class;
