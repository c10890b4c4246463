using System.Text.Json;
using Ops.Core.Identity;
using Ops.Core.Packs;
using Ops.Core.Storage;

namespace Ops.Core.Projections;

/// <summary>Reads the documents of one owner's projections from their routed databases.</summary>
internal sealed class ProjectionReader(KernelRegistry registry, Func<string, SqliteDatabase> databaseFor, string owner) : IProjectionReader
{
    public async ValueTask<TDocument?> GetAsync<TDocument>(string projectionName, string key, CancellationToken cancellationToken)
        where TDocument : class
    {
        var projection = Resolve(projectionName);
        await using var connection = databaseFor(projection.ResourceKind).Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT document FROM projection_documents WHERE projection = $p AND doc_key = $k";
        command.Parameters.AddWithValue("$p", projectionName);
        command.Parameters.AddWithValue("$k", key);
        return await command.ExecuteScalarAsync(cancellationToken) is byte[] bytes
            ? JsonSerializer.Deserialize<TDocument>(bytes, OpsJson.Options)
            : null;
    }

    public async ValueTask<IReadOnlyList<TDocument>> ListAsync<TDocument>(string projectionName, CancellationToken cancellationToken)
        where TDocument : class
    {
        var projection = Resolve(projectionName);
        await using var connection = databaseFor(projection.ResourceKind).Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT document FROM projection_documents WHERE projection = $p ORDER BY doc_key";
        command.Parameters.AddWithValue("$p", projectionName);
        var result = new List<TDocument>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(JsonSerializer.Deserialize<TDocument>((byte[])reader.GetValue(0), OpsJson.Options)!);
        }

        return result;
    }

    private ProjectionRegistration Resolve(string projectionName) =>
        registry.Projections.TryGetValue(projectionName, out var projection) && projection.Owner == owner
            ? projection
            : throw new InvalidOperationException($"Projection {projectionName} is not registered by '{owner}'; a pack reads only its own projections.");
}
