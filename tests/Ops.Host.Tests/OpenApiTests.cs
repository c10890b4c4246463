using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ops.Host.Tests;

/// <summary>
/// Issue 9 item 3: an HTTP API a client can be written against. The worker serves its OpenAPI document at
/// /openapi/v1.json; the committed copy (docs/openapi/v1.json) must match it, so a change to the API is a visible diff.
/// Regenerate with <c>OPS_UPDATE_OPENAPI=1 dotnet test --filter OpenApiTests</c>.
/// </summary>
public sealed class OpenApiTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("ops-openapi-").FullName;

    private static string Committed => Path.Combine(HostProcess.RepoRoot, "docs", "openapi", "v1.json");

    [Fact]
    public async Task OpenApiDocument_MatchesTheCommittedCopy_AndDescribesEveryRoute()
    {
        var port = HostProcess.FreePort();
        await using var worker = await HostProcess.StartWorkerAsync(_work, port, null);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        var served = JsonNode.Parse(await http.GetStringAsync("/openapi/v1.json"))!;
        var text = served.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        if (Environment.GetEnvironmentVariable("OPS_UPDATE_OPENAPI") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Committed)!);
            await File.WriteAllTextAsync(Committed, text);
        }

        Assert.True(File.Exists(Committed), $"{Committed} is missing: run OPS_UPDATE_OPENAPI=1 dotnet test --filter OpenApiTests and commit it.");
        Assert.True(text == await File.ReadAllTextAsync(Committed), "The API differs from docs/openapi/v1.json: review the change, then regenerate it with OPS_UPDATE_OPENAPI=1 dotnet test --filter OpenApiTests and commit it.");

        var paths = served["paths"]!.AsObject();
        foreach (var (path, item) in paths)
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var ok = operation!["responses"]?["200"];
                Assert.True(ok?["content"] is not null, $"{method.ToUpperInvariant()} {path} documents no 200 response body");
                if (method == "post" && !path.EndsWith("/sync", StringComparison.Ordinal))
                {
                    Assert.True(operation["requestBody"]?["content"]?["application/json"] is not null, $"POST {path} documents no JSON request body");
                }
            }
        }

        var root = JsonNode.Parse(await http.GetStringAsync("/"))!;
        Assert.Equal("/openapi/v1.json", root["openapi"]!.GetValue<string>());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // A worker still shutting down may hold a file open.
        }
    }
}
