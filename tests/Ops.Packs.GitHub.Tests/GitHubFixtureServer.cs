using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Ops.Packs.GitHub.Tests;

/// <summary>
/// The real @octokit/fixtures-server (tools/fixtures-server.mjs, loopback only) on a free port, started
/// once for a test class and killed when it is done. Each scenario it hands out answers a recorded
/// GitHub exchange once, in order, and refuses any request that does not match the recording.
/// </summary>
public sealed class GitHubFixtureServer : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly StringBuilder _stderr = new();
    private Process? _process;

    public Uri Root { get; private set; } = null!;

    public HttpClient Http { get; } = new();

    public static string RepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AlignTrue.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds AlignTrue.sln.");
    }

    public async Task InitializeAsync()
    {
        var root = RepoRoot();
        var port = FreeLoopbackPort();
        var started = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process
        {
            StartInfo = new ProcessStartInfo("node")
            {
                WorkingDirectory = root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                ArgumentList = { Path.Combine(root, "tools", "fixtures-server.mjs"), port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            },
            EnableRaisingEvents = true,
        };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.Contains("fixtures server on ", StringComparison.Ordinal))
            {
                started.TrySetResult(line[(line.IndexOf("http", StringComparison.Ordinal))..].Trim());
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        process.Exited += (_, _) =>
        {
            lock (_stderr)
            {
                started.TrySetException(new InvalidOperationException($"The fixtures server exited before listening: {_stderr}"));
            }
        };
        if (!process.Start())
        {
            throw new InvalidOperationException("node did not start.");
        }

        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Root = new Uri(await started.Task.WaitAsync(StartTimeout));
    }

    /// <summary>Loads a recorded scenario; returns its base URL (what api.github.com is for it).</summary>
    public async Task<string> ScenarioAsync(string scenario)
    {
        using var response = await Http.PostAsJsonAsync(new Uri(Root, "/fixtures"), new { scenario });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("url").GetString()!;
    }

    public Task DisposeAsync()
    {
        Http.Dispose();
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process.Dispose();
        }

        return Task.CompletedTask;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
