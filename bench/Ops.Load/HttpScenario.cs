using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ops.Core.Consent;
using Ops.Core.Identity;

namespace Ops.Load;

/// <summary>
/// Commands end to end over HTTP: the worker executable (src/Ops.Host, built in this configuration)
/// runs as a child process on 127.0.0.1; 1, 8 and 32 concurrent clients each send CreateNote
/// commands one after the other, each proposed, signed and committed (consent, issue 3). Figures: commands/s and p50/p95/p99 latency, against the raw
/// one-insert-per-transaction rate of the same synchronous mode (group commit should beat it).
/// </summary>
internal static class HttpScenario
{
    private static readonly int[] ClientLevels = [1, 8, 32];

    public static async Task RunAsync(LoadOptions options, RawBaselines baselines, Report report)
    {
        var executable = await WorkerExecutableAsync(options.Quick);
        var shape = new NoteDrafts().Shape();

        // A quick (CI) run only checks that the scenario works: FULL alone.
        foreach (var synchronous in options.Quick ? ["FULL"] : new[] { "FULL", "NORMAL" })
        {
            var folder = Path.Combine(options.WorkDirectory, "http-" + synchronous.ToLowerInvariant());
            Directory.CreateDirectory(folder);
            // init writes the admin's key to the per-user configuration folder; keep it in the run's folder.
            var userConfig = Path.Combine(folder, ".xdg-config");
            var environment = new Dictionary<string, string> { ["Ops__Synchronous"] = synchronous, ["XDG_CONFIG_HOME"] = userConfig };
            var init = await RunToEndAsync(executable, folder, environment, ["init"]);
            var key = init.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("ops_", StringComparison.Ordinal))
                ?? throw new InvalidOperationException("Ops.Host init printed no API key:\n" + init);
            using var signer = ECDsa.Create();
            signer.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(userConfig, "aligntrue-ops", "admin-signer.pem")));
            var rawRate = baselines.SingleInsertRate(synchronous, shape, options.Quick ? 200 : 5_000);
            var settings = DbSettings.Of(Path.Combine(folder, "data", "ops.db"), synchronous);
            settings["command"] = "pack.notes.notes.CreateNote with consent: POST /v1/proposals, sign the preview (ECDSA P-256), POST /v1/commits (one NoteCreated event, consent and audit records, outcome; projection catch-up in the worker)";
            settings["content_chars"] = NoteDrafts.ContentLength;
            settings["seconds_per_level"] = options.HttpSeconds;
            settings["worker"] = $"{Path.GetRelativePath(RepoRoot, executable)} (built {File.GetLastWriteTimeUtc(executable):yyyy-MM-dd HH:mm} UTC)";
            report.Settings($"http {synchronous}", settings);

            var port = FreePort();
            await using var worker = await Worker.StartAsync(executable, folder, environment, port);
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseProxy = false };
            using var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            var run = Guid.NewGuid().ToString("N")[..8];
            foreach (var clients in ClientLevels)
            {
                await LoadAsync(client, signer, clients, TimeSpan.FromSeconds(Math.Min(1, options.HttpSeconds / 4)), $"{run}-w{clients}"); // warm-up
                var result = await LoadAsync(client, signer, clients, TimeSpan.FromSeconds(options.HttpSeconds), $"{run}-{clients}");
                if (result.Errors > 0)
                {
                    Console.WriteLine($"   {result.Errors} of {result.Count + result.Errors} requests failed; first: {result.FirstError}");
                }

                if (result.Count == 0)
                {
                    throw new InvalidOperationException($"No command succeeded at {clients} clients: {result.FirstError}\n{worker.Tail()}");
                }

                var (p50, p95, p99) = (result.Percentile(0.50), result.Percentile(0.95), result.Percentile(0.99));
                var isTarget = synchronous == "FULL" && clients == 32;
                var details = new Dictionary<string, object>
                {
                    ["synchronous"] = synchronous,
                    ["clients"] = clients,
                    ["commands"] = result.Count,
                    ["errors"] = result.Errors,
                    ["seconds"] = Math.Round(result.Elapsed.TotalSeconds, 2),
                    ["p50_ms"] = Math.Round(p50, 2),
                    ["p95_ms"] = Math.Round(p95, 2),
                    ["p99_ms"] = Math.Round(p99, 2),
                    ["max_ms"] = Math.Round(result.Percentile(1.0), 2),
                };
                report.Add(new Figure(
                    "http",
                    string.Create(CultureInfo.InvariantCulture, $"HTTP commands, {clients} client{(clients == 1 ? "" : "s")}, {synchronous} (commands/s; p50/p95/p99 {p50:F1}/{p95:F1}/{p99:F1} ms)"),
                    result.Count / result.Elapsed.TotalSeconds,
                    rawRate,
                    "commands/s",
                    isTarget ? ">= 2x raw 1-insert/tx" : null,
                    isTarget ? result.Count / result.Elapsed.TotalSeconds >= 2 * rawRate : null,
                    details));
                if (isTarget)
                {
                    report.Add(new Figure("http", "HTTP p99 latency, 32 clients, FULL (ms)", p99, null, "ms", "<= 20 ms", p99 <= 20));
                }
            }
        }
    }

    /// <summary>
    /// One command end to end, as a client does it since consent (issue 3): propose the CreateNote (with a
    /// unique idempotency key), sign the one interpretation's preview with the admin's key, commit it.
    /// Returns null when accepted, else what went wrong. The requests are built here and only here.
    /// </summary>
    internal static async Task<string?> SendCommandAsync(HttpClient client, ECDsa signer, string idempotencyKey)
    {
        var body = "{\"command_type\":\"pack.notes.notes.CreateNote\",\"target_ref\":\"note-new\",\"idempotency_key\":\"" + idempotencyKey
            + "\",\"payload\":{\"title\":\"Note " + idempotencyKey + "\",\"content\":\"" + Content + "\",\"content_type\":\"text\",\"tags\":[]}}";
        using var propose = new HttpRequestMessage(HttpMethod.Post, "/v1/proposals") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var proposed = await client.SendAsync(propose);
        var proposalText = await proposed.Content.ReadAsStringAsync();
        if (proposed.StatusCode != HttpStatusCode.OK)
        {
            return $"propose {(int)proposed.StatusCode}: {proposalText}";
        }

        var proposal = JsonSerializer.Deserialize<Proposal>(proposalText, OpsJson.Options)!;
        var interpretation = proposal.Interpretations[0];
        var consent = ConsentSigning.Sign(signer, "admin", interpretation, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10));
        var commit = new CommitRequest(proposal.Command, proposal.ProposedAt, interpretation.InterpretationId, interpretation.PreviewHash, consent);
        using var commitRequest = new HttpRequestMessage(HttpMethod.Post, "/v1/commits") { Content = new StringContent(JsonSerializer.Serialize(commit, OpsJson.Options), Encoding.UTF8, "application/json") };
        using var committed = await client.SendAsync(commitRequest);
        var committedText = await committed.Content.ReadAsStringAsync();
        return committed.StatusCode == HttpStatusCode.OK ? null : $"commit {(int)committed.StatusCode}: {committedText}";
    }

    private static readonly string Content = new('x', NoteDrafts.ContentLength);

    private static async Task<LoadResult> LoadAsync(HttpClient client, ECDsa signer, int clients, TimeSpan duration, string run)
    {
        using var stop = new CancellationTokenSource();
        var latencies = new List<double>[clients];
        var errors = new int[clients];
        string? firstError = null;
        var watch = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var mine = latencies[c] = new List<double>(4096);
            var i = 0;
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    var error = await SendCommandAsync(client, signer, $"bench-{run}-{c}-{i++}");
                    if (error is null)
                    {
                        mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }
                    else
                    {
                        errors[c]++;
                        firstError ??= error;
                    }
                }
                catch (HttpRequestException ex)
                {
                    errors[c]++;
                    firstError ??= ex.Message;
                }
            }
        })).ToArray();
        await Task.Delay(duration);
        await stop.CancelAsync();
        await Task.WhenAll(tasks);
        var elapsed = watch.Elapsed;
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        return new LoadResult(all, errors.Sum(), firstError, elapsed);
    }

    private sealed record LoadResult(double[] SortedLatencies, int Errors, string? FirstError, TimeSpan Elapsed)
    {
        public int Count => SortedLatencies.Length;

        public double Percentile(double p) => Count == 0 ? 0 : SortedLatencies[Math.Clamp((int)Math.Ceiling(p * Count) - 1, 0, Count - 1)];
    }

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>
    /// The worker built in this harness's configuration; in a quick run any built worker will do (CI has
    /// just built Debug). When none is built, builds it.
    /// </summary>
    private static async Task<string> WorkerExecutableAsync(bool quick)
    {
        var configuration = typeof(HttpScenario).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "OpsConfiguration").Value!;
        string PathFor(string c) => Path.Combine(RepoRoot, "src", "Ops.Host", "bin", c, "net10.0", OperatingSystem.IsWindows() ? "Ops.Host.exe" : "Ops.Host");
        var path = PathFor(configuration);
        if (!File.Exists(path) && quick)
        {
            var other = PathFor(configuration == "Release" ? "Debug" : "Release");
            path = File.Exists(other) ? other : path;
        }

        if (!File.Exists(path))
        {
            Console.WriteLine($"   building the worker: dotnet build src/Ops.Host -c {configuration}");
            await RunToEndAsync("dotnet", RepoRoot, new Dictionary<string, string>(), ["build", Path.Combine("src", "Ops.Host"), "-c", configuration, "--nologo", "-v", "q"]);
        }

        return File.Exists(path) ? path : throw new FileNotFoundException($"The worker is not built: {path}. Build it with 'dotnet build src/Ops.Host -c {configuration}'.");
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string> RunToEndAsync(string executable, string folder, IDictionary<string, string> environment, string[] args)
    {
        using var process = Process.Start(StartInfo(executable, folder, environment, args)) ?? throw new InvalidOperationException("could not start " + executable);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        var output = await stdout + await stderr;
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{Path.GetFileName(executable)} {string.Join(' ', args)} exited {process.ExitCode}:\n{output}");
    }

    private static ProcessStartInfo StartInfo(string executable, string folder, IDictionary<string, string> environment, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(executable) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in environment)
        {
            info.Environment[k] = v;
        }

        return info;
    }

    /// <summary>The worker child process; its output is drained continuously (a full pipe would stall it).</summary>
    private sealed class Worker : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly Queue<string> _tail = new();
        private readonly TaskCompletionSource<bool> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private Worker(Process process) => _process = process;

        public static async Task<Worker> StartAsync(string executable, string folder, IDictionary<string, string> environment, int port)
        {
            var process = Process.Start(StartInfo(executable, folder, environment, ["run", "--urls", $"http://127.0.0.1:{port}"])) ?? throw new InvalidOperationException("could not start the worker");
            var worker = new Worker(process);
            process.OutputDataReceived += (_, e) => worker.OnLine(e.Data);
            process.ErrorDataReceived += (_, e) => worker.OnLine(e.Data);
            process.EnableRaisingEvents = true;
            process.Exited += (_, _) => worker._listening.TrySetResult(false);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var ready = await worker._listening.Task.WaitAsync(TimeSpan.FromMinutes(1));
            return ready ? worker : throw new InvalidOperationException("The worker exited before listening:\n" + worker.Tail());
        }

        public string Tail()
        {
            lock (_tail)
            {
                return string.Join('\n', _tail);
            }
        }

        private void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_tail)
            {
                _tail.Enqueue(line);
                if (_tail.Count > 40)
                {
                    _tail.Dequeue();
                }
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
    }
}
