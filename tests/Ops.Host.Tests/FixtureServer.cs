using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Ops.Host.Tests;

/// <summary>@octokit/fixtures-server on 127.0.0.1 (tools/fixtures-server.mjs): recorded GitHub API scenarios.</summary>
public sealed class FixtureServer : IAsyncLifetime
{
    private Process? _process;

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        Port = HostProcess.FreePort();
        var info = new ProcessStartInfo("node") { WorkingDirectory = HostProcess.RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("tools/fixtures-server.mjs");
        info.ArgumentList.Add(Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _process = Process.Start(info)!;
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("fixtures server on", StringComparison.Ordinal) == true)
            {
                listening.TrySetResult();
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Loads a fresh copy of a recorded scenario; returns its base URL.</summary>
    public async Task<string> LoadScenarioAsync(string scenario)
    {
        using var client = new HttpClient();
        using var response = await client.PostAsJsonAsync($"http://127.0.0.1:{Port}/fixtures", new { scenario });
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("url").GetString()!;
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }
}
