using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Ops.Packs.GitHub.Tests;

/// <summary>
/// A scripted GitHub on 127.0.0.1 (HttpListener, a free port): each request is answered by the current script,
/// and every request line is recorded. Used where the recorded fixtures cannot go: incremental syncs with
/// <c>since</c>, disappearing issues, drifted items, conflicting answers.
/// </summary>
internal sealed class ScriptedGitHubServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public ScriptedGitHubServer()
    {
        var port = FreePort();
        Root = new Uri($"http://127.0.0.1:{port}");
        _listener.Prefixes.Add(Root.AbsoluteUri);
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public Uri Root { get; }

    /// <summary>Answers a request: status, JSON body and headers. Replace it between syncs.</summary>
    public Func<HttpListenerRequest, (int Status, string Body, (string Name, string Value)[] Headers)> Script { get; set; } = _ => (404, """{"message":"Not Found"}""", []);

    /// <summary>Method and path-and-query of every request, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
        {
            // Stopping the listener ends the loop's pending accept.
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            Requests.Enqueue(context.Request.HttpMethod + " " + context.Request.Url!.PathAndQuery);
            var (status, body, headers) = Script(context.Request);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json; charset=utf-8";
            foreach (var (name, value) in headers)
            {
                context.Response.Headers[name] = value;
            }

            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }
}

/// <summary>A FakeTimeProvider that reports each timer it creates, so a test advances time exactly when a wait has begun.</summary>
internal sealed class SignallingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    /// <summary>Due times of the timers created, in order.</summary>
    public Channel<TimeSpan> Timers { get; } = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        Timers.Writer.TryWrite(dueTime);
        return timer;
    }
}

/// <summary>GitHub-shaped JSON for tests.</summary>
internal static class GitHubJson
{
    public static string Issue(int number, string updatedAt, string title = "", string state = "open") =>
        $$"""{"id":{{1000 + number}},"number":{{number}},"title":"{{(title.Length == 0 ? "Issue " + number : title)}}","user":{"login":"mona"},"labels":[],"state":"{{state}}","created_at":"2024-01-01T00:00:00Z","updated_at":"{{updatedAt}}","closed_at":{{(state == "closed" ? "\"" + updatedAt + "\"" : "null")}}}""";

    public static string Array(IEnumerable<string> items) => "[" + string.Join(",", items) + "]";

    /// <summary>An issue of <paramref name="repositoryUrl"/> (<c>…/repos/{owner}/{repo}</c>), as GitHub answers <c>GET …/issues/{n}</c>.</summary>
    public static string IssueIn(string repositoryUrl, int number, string updatedAt) =>
        Issue(number, updatedAt).Insert(1, "\"repository_url\":\"" + repositoryUrl + "\",");
}
