using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Ops.Tenancy.Tests;

/// <summary>
/// A GitHub-compatible issues endpoint on 127.0.0.1 (<see cref="HttpListener"/>): every
/// <c>GET /repos/{owner}/{repo}/issues</c> answers one page, without a next link, holding the issues the
/// test last set. Lets two tenants' syncs of the one configured repository observe different issues.
/// </summary>
internal sealed class LoopbackGitHub : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _serving;
    private volatile string _page = "[]";

    public LoopbackGitHub()
    {
        var port = FreePort();
        BaseUrl = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
        _listener.Prefixes.Add(BaseUrl + "/");
        _listener.Start();
        _serving = ServeAsync();
    }

    public string BaseUrl { get; }

    /// <summary>The issues the next requests answer: (number, title, labels), all open, updated at <paramref name="updatedAt"/>.</summary>
    public void Serve(DateTimeOffset updatedAt, params (int Number, string Title, string[] Labels)[] issues) =>
        _page = JsonSerializer.Serialize(issues.Select(i => new
        {
            number = i.Number,
            title = i.Title,
            state = "open",
            labels = i.Labels.Select(name => new { name }),
            user = new { login = "octocat" },
            created_at = updatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            updated_at = updatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        }));

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            await _serving;
        }
        catch (HttpListenerException)
        {
            // Stopping the listener ends the pending GetContextAsync.
        }
        catch (ObjectDisposedException)
        {
            // Likewise, depending on timing.
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            var context = await _listener.GetContextAsync();
            var found = context.Request.HttpMethod == "GET" && context.Request.Url!.AbsolutePath.EndsWith("/issues", StringComparison.Ordinal);
            var body = Encoding.UTF8.GetBytes(found ? _page : """{"message":"Not Found"}""");
            context.Response.StatusCode = found ? 200 : 404;
            context.Response.ContentType = "application/json; charset=utf-8";
            context.Response.ContentLength64 = body.Length;
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
