using Ops.Core.Consent;
using Ops.Core.Envelopes;

namespace Ops.Host.Http;

/// <summary><c>GET /</c>: what this is and where to read more.</summary>
internal sealed record RootDocument(string Name, string Description, [property: System.Text.Json.Serialization.JsonPropertyName("openapi")] string OpenApi, string Health, string Docs);

/// <summary><c>GET /healthz</c>: alive and ready, nothing more (issue 7: no internals without authentication).</summary>
internal sealed record HealthDocument(string Status);

/// <summary><c>GET /v1/status</c>.</summary>
internal sealed record StatusDocument(string Status, string Mode, long HeadPosition, IReadOnlyDictionary<string, string> Routes);

/// <summary>One event of <c>GET /v1/events</c>.</summary>
internal sealed record EventItem(long Position, EventEnvelope Envelope);

/// <summary><c>GET /v1/events</c>: a page in position order; pass <see cref="NextAfter"/> as <c>after</c> for the next page.</summary>
internal sealed record EventsPage(IReadOnlyList<EventItem> Events, long NextAfter);

/// <summary><c>GET /v1/audit</c>.</summary>
internal sealed record AuditPage(IReadOnlyList<AuditRecord> Records);

/// <summary>A loaded pack in <c>GET /v1/packs</c>.</summary>
internal sealed record PackItem(string PackId, string Version, string ContentHash, IReadOnlyList<string> Exports, IReadOnlyList<string> DependsOn);

/// <summary>A refused pack in <c>GET /v1/packs</c>.</summary>
internal sealed record RefusedPackItem(string PackId, string ReasonCode, string Reason);

/// <summary>A command type in <c>GET /v1/packs</c>.</summary>
internal sealed record CommandItem(string Name, string Owner, SafetyClass SafetyClass, string Target);

/// <summary>A query in <c>GET /v1/packs</c>.</summary>
internal sealed record QueryItem(string Name, string Path);

/// <summary><c>GET /v1/packs</c>.</summary>
internal sealed record PacksDocument(IReadOnlyList<PackItem> Loaded, IReadOnlyList<RefusedPackItem> Refused, IReadOnlyList<CommandItem> Commands, IReadOnlyList<QueryItem> Queries, IReadOnlyList<string> Connectors);

/// <summary>A projection a query read, with its version.</summary>
internal sealed record QueryProjectionItem(string Name, int Version);

/// <summary>The tenant and mode a query's reads were scoped to (seed 001).</summary>
internal sealed record AccessScope(string TenantId, string Mode);

/// <summary><c>GET /v1/queries/{pack}/{query}</c> (constitution §5 query artifact: projections and versions, position, freshness, access scope).</summary>
internal sealed record QueryDocument(string Query, IReadOnlyList<QueryProjectionItem> Projections, long Position, DateTimeOffset FreshnessAt, AccessScope AccessScope, object? Result);
