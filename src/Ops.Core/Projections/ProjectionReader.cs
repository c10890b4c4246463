using System.Text.Json;
using Ops.Core.Identity;
using Ops.Core.Packs;
using Ops.Core.Storage;

namespace Ops.Core.Projections;

/// <summary>
/// Reads the documents of one owner's projections from their routed databases, scoped by construction
/// to the caller's tenant and mode (seed 001): every statement names tenant_id and mode, taken from
/// <see cref="ProjectionAccess"/>, never from the pack. A projection that spans tenants is read only
/// after the caller's capability for it is checked. A parked projection is not read at all
/// (<see cref="Errors.ReasonCodes.ProjectionParked"/>).
/// </summary>
internal sealed class ProjectionReader(KernelRegistry registry, Func<string, IProjectionStore> storeFor, string owner, ProjectionAccess access) : IProjectionReader
{
    public async ValueTask<TDocument?> GetAsync<TDocument>(string projectionName, string key, CancellationToken cancellationToken)
        where TDocument : class
    {
        ArgumentNullException.ThrowIfNull(key);
        var (projection, tenant) = Resolve(projectionName);
        await using var read = await storeFor(projection.ResourceKind).BeginReadAsync(cancellationToken);
        return await read.GetAsync(projection.Name, new DocumentAddress(tenant, access.Mode, key), cancellationToken) is { } bytes
            ? JsonSerializer.Deserialize<TDocument>(bytes, OpsJson.Options)
            : null;
    }

    public async ValueTask<IReadOnlyList<TDocument>> ListAsync<TDocument>(string projectionName, CancellationToken cancellationToken)
        where TDocument : class
    {
        var (projection, tenant) = Resolve(projectionName);
        await using var read = await storeFor(projection.ResourceKind).BeginReadAsync(cancellationToken);
        var result = new List<TDocument>();
        await foreach (var (_, document) in read.ListAsync(projection.Name, tenant, access.Mode, cancellationToken))
        {
            result.Add(JsonSerializer.Deserialize<TDocument>(document, OpsJson.Options)!);
        }

        return result;
    }

    private (ProjectionRegistration Projection, string TenantId) Resolve(string projectionName)
    {
        if (!registry.Projections.TryGetValue(projectionName, out var projection) || projection.Owner != owner)
        {
            throw new Errors.OpsException(Errors.ReasonCodes.PackFault, $"Projection {projectionName} is not registered by '{owner}'; a pack reads only its own projections. Nothing was read.");
        }

        if (ProjectionFaults.ParkOf(access.Core, projection) is { } parked)
        {
            // Documents that stop before an event would answer as if it never happened.
            throw ProjectionFaults.Refusal(parked);
        }

        if (projection.Tenancy == ProjectionTenancy.SpansTenants)
        {
            access.RequireAcrossTenants(projection.Name);
            return (projection, DocumentAddress.AllTenants);
        }

        return (projection, access.TenantId);
    }
}
