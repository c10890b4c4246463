namespace Ops.Core.Envelopes;

/// <summary>
/// Identity scope carried by every record (seed 001, "Scope and Ownership"). Tenant, mode, user and
/// surface are derived by the server from the authenticated actor and the host; a client claim that
/// disagrees is rejected, never silently overridden.
/// </summary>
/// <param name="TenantId">Tenant the record belongs to.</param>
/// <param name="Mode">Host mode: <c>system</c>, <c>enterprise</c>, <c>saas</c> or <c>lab</c>.</param>
/// <param name="UserId">Owning user, when the actor acts for one.</param>
/// <param name="SurfaceId">Surface the request came through, for example <c>api</c> or <c>cli</c>.</param>
/// <param name="ProjectId">Optional project.</param>
/// <param name="RunId">Optional provenance run id.</param>
public sealed record IdentityScope(
    string TenantId,
    string Mode,
    string? UserId,
    string? SurfaceId,
    string? ProjectId = null,
    string? RunId = null);
