using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace Ops.Host.Tests;

/// <summary>Runs the built Ops.Host executable (worker or CLI) as a separate process in a working folder.</summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<bool> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HostProcess(Process process) => _process = process;

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Executable { get; } = Path.Combine(
        RepoRoot, "src", "Ops.Host", "bin",
        typeof(HostProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "OpsConfiguration").Value!,
        "net10.0", "Ops.Host");

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// XDG_CONFIG_HOME of every process started in <paramref name="workingDirectory"/> (unless the test sets its
    /// own), so keys the CLI and worker keep per user land in the test's folder, never in the real ~/.config.
    /// </summary>
    public static string UserConfigHome(string workingDirectory) => Path.Combine(workingDirectory, ".xdg-config");

    /// <summary>The per-user configuration folder the processes of <paramref name="workingDirectory"/> use.</summary>
    public static string UserConfigFolder(string workingDirectory) => Path.Combine(UserConfigHome(workingDirectory), "aligntrue-ops");

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a CLI command to completion; returns its exit code and combined output.</summary>
    public static async Task<(int ExitCode, string Output)> RunCliAsync(string workingDirectory, IDictionary<string, string>? environment, params string[] args)
    {
        using var process = Start(workingDirectory, environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Runs a CLI command of <paramref name="executable"/> (another build of Ops.Host) to completion; returns its exit code and combined output.</summary>
    public static async Task<(int ExitCode, string Output)> RunCliOfAsync(string executable, string workingDirectory, IDictionary<string, string>? environment, params string[] args)
    {
        using var process = Start(executable, workingDirectory, environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Starts the worker and returns once it logs that it is listening.</summary>
    public static Task<HostProcess> StartWorkerAsync(string workingDirectory, int port, IDictionary<string, string>? environment) =>
        StartWorkerAsync(workingDirectory, port, environment, Executable);

    /// <summary>Starts the worker of <paramref name="executable"/> (another build of Ops.Host) and returns once it logs that it is listening.</summary>
    public static async Task<HostProcess> StartWorkerAsync(string workingDirectory, int port, IDictionary<string, string>? environment, string executable)
    {
        var host = new HostProcess(Start(executable, workingDirectory, environment, ["run", "--urls", $"http://127.0.0.1:{port}"]));
        host._process.OutputDataReceived += (_, e) => host.OnLine(e.Data);
        host._process.ErrorDataReceived += (_, e) => host.OnLine(e.Data);
        host._process.EnableRaisingEvents = true;
        host._process.Exited += (_, _) =>
        {
            // Exited can come before the last lines are read; the refusal the worker printed must be in Output.
            host._process.WaitForExit();
            host._listening.TrySetResult(false);
        };
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        var ready = await host._listening.Task.WaitAsync(TimeSpan.FromMinutes(2));
        return ready ? host : throw new InvalidOperationException("The worker exited before listening:\n" + host.Output);
    }

    /// <summary>The process id (for reports; the process may have exited).</summary>
    public int Id => _process.Id;

    /// <summary>CPU time the running process has used so far (user and system).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    private static Process Start(string workingDirectory, IDictionary<string, string>? environment, IEnumerable<string> args) =>
        Start(Executable, workingDirectory, environment, args);

    private static Process Start(string executable, string workingDirectory, IDictionary<string, string>? environment, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["XDG_CONFIG_HOME"] = UserConfigHome(workingDirectory);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        return Process.Start(info) ?? throw new InvalidOperationException("Could not start " + executable);
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.Contains("Now listening on", StringComparison.Ordinal))
        {
            _listening.TrySetResult(true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AlignTrue.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("AlignTrue.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Reads the log's SQLite database of a CLI or worker working folder, read-only, as an operator's sqlite3 would.</summary>
internal static class WorkDatabase
{
    /// <summary>The single value of <paramref name="sql"/> over <c>data/ops.db</c> under <paramref name="workingDirectory"/>.</summary>
    public static long Scalar(string workingDirectory, string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(workingDirectory, "data", "ops.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }
}
