using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Ops.Core.Envelopes;

namespace Ops.Core.Packs;

/// <summary>
/// What a pack registers at load. Handlers, projections, queries and connectors are classes in the
/// pack's entry assembly; the kernel finds them with Scrutor and these calls bind them to names.
/// Every name must be <c>pack.&lt;pack_id&gt;.&lt;domain&gt;.&lt;Name&gt;</c> (constitution §1); any other name
/// makes the whole pack fail to load with <see cref="PackLoadException"/>.
/// </summary>
public interface IPackBuilder
{
    /// <summary>The pack id from the manifest.</summary>
    string PackId { get; }

    /// <summary>The configuration section <c>Ops:Packs:&lt;pack_id&gt;</c>. Secrets are not in it: use the connector's credentialed HTTP client.</summary>
    IConfiguration Configuration { get; }

    /// <summary>The pack's own service collection (isolated from the host's container).</summary>
    IServiceCollection Services { get; }

    /// <summary>Registers an event type and its payload record.</summary>
    /// <typeparam name="TPayload">The payload record, usually in the pack's Contracts assembly.</typeparam>
    /// <param name="eventType">Namespaced name, for example <c>pack.notes.notes.NoteCreated</c>.</param>
    /// <param name="schemaVersion">payload_schema_version, 1 or more.</param>
    /// <returns>This builder.</returns>
    IPackBuilder AddEvent<TPayload>(string eventType, int schemaVersion = 1)
        where TPayload : class;

    /// <summary>Registers a command type; its handler is the pack's one <see cref="ICommandHandler{TCommand}"/> implementation.</summary>
    /// <typeparam name="TCommand">The command payload record.</typeparam>
    /// <param name="commandType">Namespaced name, for example <c>pack.notes.notes.CreateNote</c>.</param>
    /// <param name="safetyClass">Declared safety class (constitution A5).</param>
    /// <param name="target">How the command names the object it acts on; the kernel authorizes the caller against that object (constitution A4).</param>
    /// <returns>This builder.</returns>
    IPackBuilder AddCommand<TCommand>(string commandType, SafetyClass safetyClass, CommandTarget<TCommand> target)
        where TCommand : class;

    /// <summary>
    /// Registers a WRITE_EXTERNAL_SIDE_EFFECT command (constitution A5, §2 Egress). Its handler
    /// (<see cref="ICommandHandler{TCommand}"/>) decides and previews as for any mutation; once consented and committed,
    /// the kernel enqueues an egress request in the commit's transaction, and only the kernel's dispatcher calls the
    /// pack's one <see cref="Egress.IEgressHandler{TCommand}"/>, after approval, within quota and while no kill switch holds it.
    /// </summary>
    /// <typeparam name="TCommand">The command payload record.</typeparam>
    /// <param name="commandType">Namespaced name, for example <c>pack.github.issues.AddLabels</c>.</param>
    /// <param name="destination">Where its requests go, lowercase (<c>[a-z][a-z0-9_]*</c>), for example <c>github</c>; settings in <c>Ops:Egress:Destinations:&lt;destination&gt;</c>.</param>
    /// <param name="target">How the command names the object it acts on.</param>
    /// <returns>This builder.</returns>
    IPackBuilder AddEgressCommand<TCommand>(string commandType, string destination, CommandTarget<TCommand> target)
        where TCommand : class =>
        // A builder that only records registrations (contract registries) records the command; the kernel's binds the dispatcher.
        AddCommand(commandType, SafetyClass.WriteExternalSideEffect, target);

    /// <summary>
    /// Registers a projection: a keyed fold of events into documents that the kernel stores. Documents
    /// are kept per tenant and mode by default (seed 001); see <see cref="ProjectionTenancy"/>.
    /// </summary>
    /// <typeparam name="TDocument">The document record.</typeparam>
    /// <param name="projectionName">Namespaced name, for example <c>pack.github.issues.IssueIndex</c>.</param>
    /// <param name="version">Projection version; a change makes the kernel rebuild it from the log.</param>
    /// <param name="resourceKind">Routing resource kind that stores the documents (seed 001); default <c>projections</c>.</param>
    /// <param name="tenancy">
    /// <see cref="ProjectionTenancy.PerTenant"/> (default: nothing to do) or
    /// <see cref="ProjectionTenancy.SpansTenants"/> for a projection whose documents combine tenants,
    /// readable only under a capability that names it.
    /// </param>
    /// <returns>This builder.</returns>
    IPackBuilder AddProjection<TDocument>(string projectionName, int version, string resourceKind = "projections", ProjectionTenancy tenancy = ProjectionTenancy.PerTenant)
        where TDocument : class;

    /// <summary>Registers a query; its handler is the pack's <see cref="IQueryHandler{TQuery, TResult}"/> implementation. Queries are READ actions.</summary>
    /// <typeparam name="TQuery">The query record, bound from the query string.</typeparam>
    /// <typeparam name="TResult">The result.</typeparam>
    /// <param name="queryName">Namespaced name, for example <c>pack.github.issues.IssuesByStateAndLabel</c>.</param>
    /// <param name="route">Short name in <c>GET /v1/queries/{pack}/{route}</c>, lowercase with dashes.</param>
    /// <returns>This builder.</returns>
    IPackBuilder AddQuery<TQuery, TResult>(string queryName, string route)
        where TQuery : class;

    /// <summary>Registers an ingress connector (constitution A8).</summary>
    /// <typeparam name="TConnector">The connector class.</typeparam>
    /// <param name="connectorName">Short name, lowercase, for example <c>issues</c>; the connector id is <c>&lt;pack_id&gt;.&lt;name&gt;</c>.</param>
    /// <returns>This builder.</returns>
    IPackBuilder AddConnector<TConnector>(string connectorName)
        where TConnector : class, IConnector;
}
