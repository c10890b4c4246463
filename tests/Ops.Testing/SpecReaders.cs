using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Packs;

namespace Ops.Testing;

/// <summary>A handler's view of a <see cref="PackSpec"/>'s streams, as of now (events of earlier accepted commands included).</summary>
internal sealed class SpecStreams(PackSpec spec) : IStreamReader
{
    public ValueTask<IReadOnlyList<EventEnvelope>> ReadStreamAsync(string streamKey, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamKey);
        return ValueTask.FromResult(spec.StreamOf(streamKey));
    }
}

/// <summary>
/// The pack's projection documents, folded from every event of the spec through the pack's own registration
/// (the same key, fold and canonical serialization as the kernel), and read as the kernel reads them: the
/// caller's tenant and the host's mode; a projection that spans tenants folds every tenant into one set.
/// A spec holds no capabilities, so reading a projection that spans tenants is allowed.
/// </summary>
internal sealed class SpecProjections(PackSpec spec, IdentityScope caller) : IProjectionReader
{
    public ValueTask<TDocument?> GetAsync<TDocument>(string projectionName, string key, CancellationToken cancellationToken)
        where TDocument : class
    {
        var documents = Fold(projectionName);
        return ValueTask.FromResult(documents.TryGetValue(key, out var bytes) ? JsonSerializer.Deserialize<TDocument>(bytes, OpsJson.Options) : null);
    }

    public ValueTask<IReadOnlyList<TDocument>> ListAsync<TDocument>(string projectionName, CancellationToken cancellationToken)
        where TDocument : class
    {
        IReadOnlyList<TDocument> documents = [.. Fold(projectionName).Values.Select(b => JsonSerializer.Deserialize<TDocument>(b, OpsJson.Options)!)];
        return ValueTask.FromResult(documents);
    }

    private SortedDictionary<string, byte[]> Fold(string projectionName)
    {
        var projection = spec.ProjectionOf(projectionName);
        var spans = projection.Tenancy == ProjectionTenancy.SpansTenants;
        var documents = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var e in spec.Events)
        {
            if (!projection.EventTypes.Contains(e.EventType) || e.Scope.Mode != caller.Mode || (!spans && e.Scope.TenantId != caller.TenantId))
            {
                continue;
            }

            if (projection.KeyOf(e) is not { } key)
            {
                continue;
            }

            var next = projection.Apply(documents.GetValueOrDefault(key), e);
            if (next is null)
            {
                documents.Remove(key);
            }
            else
            {
                documents[key] = next;
            }
        }

        return documents;
    }
}
