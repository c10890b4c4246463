using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Ops.Core.Consent;
using Ops.Core.Egress;
using Ops.Core.Identity;

namespace Ops.Host.Tests;

/// <summary>
/// The crash test's settings (issue 10 item 5), from the environment so CI and a developer can run more or fewer kills.
/// The defaults are what CI runs: see docs/operations.md ("Egress crash test") for the cost per kill.
/// </summary>
internal static class CrashSettings
{
    /// <summary>SIGKILLs of the SQLite run, across its lanes (<c>OPS_EGRESS_CRASH_KILLS</c>, default 200).</summary>
    public static int SqliteKills => Read("OPS_EGRESS_CRASH_KILLS", 200);

    /// <summary>SIGKILLs of the PostgreSQL run, across its lanes (<c>OPS_EGRESS_CRASH_PG_KILLS</c>, default 60).</summary>
    public static int PostgresKills => Read("OPS_EGRESS_CRASH_PG_KILLS", 60);

    /// <summary>Independent lanes run at once, each its own database and destination path (<c>OPS_EGRESS_CRASH_LANES</c>, default 2).</summary>
    public static int Lanes => Math.Max(1, Read("OPS_EGRESS_CRASH_LANES", 2));

    /// <summary>
    /// The Ops.Host executable the crash tests run (<c>OPS_EGRESS_CRASH_HOST</c>): CI points it at a ReadyToRun publish of the
    /// same sources, which starts in about half the CPU time; unset, the build the other tests run.
    /// </summary>
    public static string Executable => Environment.GetEnvironmentVariable("OPS_EGRESS_CRASH_HOST") is { Length: > 0 } path ? path : HostProcess.Executable;

    /// <summary>
    /// Runtime settings of the killed workers: workstation GC and no tiered PGO make a start cheaper on two cores; they
    /// change how the runtime compiles and collects, nothing the worker checks (packs, migrations, the log's start check).
    /// </summary>
    public static IReadOnlyDictionary<string, string> RuntimeKnobs { get; } = new Dictionary<string, string>
    {
        ["DOTNET_gcServer"] = "0",
        ["DOTNET_TieredPGO"] = "0",
    };

    private static int Read(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0 ? value : fallback;
}

/// <summary>
/// The destination of every lane, on 127.0.0.1: <c>POST /{lane}/{slot}/repos/{owner}/{repo}/issues/{n}/labels</c>. It records
/// each call with its Idempotency-Key and which worker slot sent it, applies a key once (a deduping destination: a repeated
/// key gets the first answer and no second effect), and answers after 30–200 ms so kills land mid-call. An issue whose
/// number <see cref="Fails"/> is refused for good (422, no effect), so its request fails and is compensated (issue 20 item 6):
/// the compensation, <c>DELETE …/labels/{name}</c> with the key <c>&lt;key&gt;:undo</c>, is recorded and applied once the same way.
/// </summary>
internal sealed class CrashDestination : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<(string Lane, int Slot), TaskCompletionSource> _next = new();
    private readonly ConcurrentDictionary<(string Lane, int Slot), TaskCompletionSource> _nextUndo = new();

    private CrashDestination(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Every call as it arrived: lane, slot, key.</summary>
    public ConcurrentQueue<(string Lane, int Slot, string Key)> Calls { get; } = new();

    /// <summary>Keys that took effect, each once, with the lane that sent it first.</summary>
    public ConcurrentDictionary<string, string> Effects { get; } = new(StringComparer.Ordinal);

    /// <summary>Every compensation call as it arrived: lane, slot, key (<c>&lt;key&gt;:undo</c>).</summary>
    public ConcurrentQueue<(string Lane, int Slot, string Key)> UndoCalls { get; } = new();

    /// <summary>Compensation keys that took effect, each once, with the lane that sent it first.</summary>
    public ConcurrentDictionary<string, string> UndoEffects { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether the destination refuses labels on issue <paramref name="number"/> for good: every third issue.</summary>
    public static bool Fails(int number) => number % 3 == 0;

    public static async Task<CrashDestination> StartAsync()
    {
        var port = HostProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var destination = new CrashDestination(app, port);
        app.MapPost("/{lane}/{slot:int}/repos/{owner}/{repo}/issues/{number:int}/labels", async (HttpContext context, string lane, int slot, int number) =>
        {
            var key = context.Request.Headers["Idempotency-Key"].ToString();
            destination.Calls.Enqueue((lane, slot, key));
            destination.Signal(destination._next, lane, slot);
            // A slow destination, so that kills land while calls are in flight; not a wait for anything.
            await Task.Delay(Random.Shared.Next(30, 200));
            if (Fails(number))
            {
                return Results.StatusCode(StatusCodes.Status422UnprocessableEntity);
            }

            destination.Effects.TryAdd(key, lane);
            return Results.Json(new[] { new { name = "crash" } });
        });
        app.MapDelete("/{lane}/{slot:int}/repos/{owner}/{repo}/issues/{number:int}/labels/{name}", async (HttpContext context, string lane, int slot) =>
        {
            var key = context.Request.Headers["Idempotency-Key"].ToString();
            destination.UndoCalls.Enqueue((lane, slot, key));
            destination.Signal(destination._next, lane, slot);
            destination.Signal(destination._nextUndo, lane, slot);
            // As slow as the POSTs, so that kills land while a compensation is in flight.
            await Task.Delay(Random.Shared.Next(30, 200));
            destination.UndoEffects.TryAdd(key, lane);
            return Results.Json(Array.Empty<object>());
        });
        await app.StartAsync();
        return destination;
    }

    /// <summary>Completes at the next call (dispatch or compensation) from (<paramref name="lane"/>, <paramref name="slot"/>) after this call.</summary>
    public Task NextCallAsync(string lane, int slot) => Arm(_next, lane, slot);

    /// <summary>Completes at the next compensation call from (<paramref name="lane"/>, <paramref name="slot"/>) after this call.</summary>
    public Task NextUndoAsync(string lane, int slot) => Arm(_nextUndo, lane, slot);

    private static Task Arm(ConcurrentDictionary<(string Lane, int Slot), TaskCompletionSource> waits, string lane, int slot)
    {
        var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        waits[(lane, slot)] = fresh;
        return fresh.Task;
    }

    private void Signal(ConcurrentDictionary<(string Lane, int Slot), TaskCompletionSource> waits, string lane, int slot)
    {
        if (waits.TryGetValue((lane, slot), out var waiting))
        {
            waiting.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>What one lane's checks found (Jepsen's queue checker as the model).</summary>
/// <remarks>
/// Compensation (issue 20 item 6): <paramref name="Refused"/> approved requests the destination refuses for good;
/// <paramref name="Compensated"/> of them compensated; <paramref name="NotCompensatedOnce"/> counts refused requests not
/// compensated, or with other than one <c>core.EgressCompensated</c>, or whose undo key did not take effect, plus any other
/// request with a compensation record or undo effect; <paramref name="UndoKillPoints"/> kills aimed 0–150 ms after a
/// compensation call reached the destination; <paramref name="CompensationsReclaimed"/> requests whose compensation was
/// claimed again after a lease ended (a worker died between recording the failure and recording the compensation).
/// </remarks>
internal sealed record CrashReport(
    string Lane, int Kills, int Approved, int Unapproved, int Calls, int DistinctKeys, int TransportDuplicates, int Executed, int Failed,
    int Lost, int Unexpected, int UnapprovedMoved, int ExecutedWithoutEffect, int EffectWithoutExecuted, int ReceiptsWithoutApprover,
    IReadOnlyList<int> CallsBySlot, int MaxAttempts, int VerifyExit, string VerifyOutput, double MeanStartMs, double MeanCpuMs, double KillPhaseSeconds, int SchemaLockRefusals,
    int Refused, int Compensated, int UndoCalls, int UndoTransportDuplicates, int NotCompensatedOnce, int UndoKillPoints, int CompensationsReclaimed)
{
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Lane}: kills={Kills} in {KillPhaseSeconds:0.0} s ({(Kills == 0 ? 0 : KillPhaseSeconds * 1000 / Kills):0} ms per kill, mean start {MeanStartMs:0} ms, mean CPU per killed worker {MeanCpuMs:0} ms); approved={Approved} unapproved={Unapproved}; calls={Calls} by slot [{string.Join(", ", CallsBySlot)}], distinct keys={DistinctKeys}, transport duplicates={TransportDuplicates}; executed={Executed} failed={Failed}; lost={Lost} unexpected={Unexpected} unapproved moved={UnapprovedMoved} executed without effect={ExecutedWithoutEffect} effect without executed={EffectWithoutExecuted} receipts without approver={ReceiptsWithoutApprover}; max attempts={MaxAttempts}; refused={Refused} compensated={Compensated} compensation calls={UndoCalls} (transport duplicates {UndoTransportDuplicates}) not compensated exactly once={NotCompensatedOnce}; kills aimed at a compensation={UndoKillPoints}, compensations claimed again after a lease ended={CompensationsReclaimed}; log verify exit {VerifyExit}; starts refused for the schema lock {SchemaLockRefusals}");
}

/// <summary>
/// One lane of the crash test: its own database (a SQLite file in its folder, or a PostgreSQL database), its own path at the
/// destination, and one or more worker processes (slots) on it, each dispatching. Seeded with approved and unapproved
/// AddLabels requests through the HTTP API; then workers are SIGKILLed at random points and restarted; then drained and checked.
/// </summary>
internal sealed class CrashLane : IAsyncDisposable
{
    private readonly CrashDestination _destination;
    private readonly Dictionary<string, string> _routes;
    private readonly HostProcess?[] _workers;
    private readonly int[] _ports;
    private readonly HttpClient[] _http;
    private readonly List<double> _startMs = [];
    private readonly List<double> _cpuMs = [];
    private readonly HashSet<string> _approved = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _keyOf = new(StringComparer.Ordinal);
    private readonly HashSet<string> _refused = new(StringComparer.Ordinal);
    private ECDsa? _signer;
    private int _kills;
    private double _killSeconds;
    private int _unapproved;
    private int _schemaLockRefusals;
    private int _undoKillPoints;

    private CrashLane(string name, string work, CrashDestination destination, int slots, Dictionary<string, string> routes)
    {
        Name = name;
        Work = work;
        _destination = destination;
        _routes = routes;
        _workers = new HostProcess?[slots];
        _ports = [.. Enumerable.Range(0, slots).Select(_ => HostProcess.FreePort())];
        _http = [.. _ports.Select(p => new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{p}"), Timeout = TimeSpan.FromSeconds(60) })];
    }

    public string Name { get; }

    public string Work { get; }

    /// <summary>What each slot's last worker printed, for a failure's message.</summary>
    public List<string> Outputs { get; } = [];

    /// <summary>A lane in a new temp folder; <paramref name="routes"/> are extra environment (PostgreSQL routes), empty for SQLite.</summary>
    public static async Task<CrashLane> CreateAsync(string name, CrashDestination destination, int slots, Dictionary<string, string> routes)
    {
        var lane = new CrashLane(name, Directory.CreateTempSubdirectory("ops-egress-crash-" + name + "-").FullName, destination, slots, routes);
        var (exit, output) = await HostProcess.RunCliOfAsync(CrashSettings.Executable, lane.Work, routes, "init");
        Assert.True(exit == 0, output);
        var apiKey = output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ops_", StringComparison.Ordinal));
        foreach (var http in lane._http)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        lane._signer = ECDsa.Create();
        lane._signer.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(HostProcess.UserConfigFolder(lane.Work), "admin-signer.pem")));
        return lane;
    }

    /// <summary>
    /// Commits <paramref name="approved"/> + <paramref name="unapproved"/> requests and approves the first ones through a
    /// worker that does not dispatch (so none goes out before the kills begin), then starts every slot dispatching.
    /// </summary>
    public async Task SeedAsync(int approved, int unapproved)
    {
        await StartAsync(0, dispatch: false);
        _unapproved = unapproved;
        await Parallel.ForEachAsync(Enumerable.Range(1, approved + unapproved), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (issue, _) => await CommitAsync(issue));
        var pending = await ListAsync("pending");
        Assert.Equal(approved + unapproved, pending.Count);
        foreach (var request in pending)
        {
            _keyOf[request.RequestId] = request.IdempotencyKey;
            if (CrashDestination.Fails(request.Request.GetProperty("payload").GetProperty("issue_number").GetInt32()))
            {
                _refused.Add(request.RequestId);
            }
        }

        var toApprove = pending.Take(approved).ToList();
        await Parallel.ForEachAsync(toApprove, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (request, _) =>
        {
            var consent = EgressApproval.Sign(_signer!, "admin", request.RequestId, request.RequestHash, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10));
            using var response = await _http[0].PostAsync($"/v1/egress/{request.RequestId}/approve", JsonContent.Create(consent, options: OpsJson.Options));
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            lock (_approved)
            {
                _approved.Add(request.RequestId);
            }
        });
        await _workers[0]!.DisposeAsync();
        _workers[0] = null;
        _startMs.Clear();
        await Task.WhenAll(Enumerable.Range(0, _workers.Length).Select(slot => StartAsync(slot)));
    }

    /// <summary>
    /// SIGKILLs <paramref name="kills"/> times in rounds: each round kills every slot, in a random order, then restarts them
    /// together (so on a shared database the survivor cannot drain the queue while the other restarts). A quarter of the
    /// kills land 0–150 ms after the round began (around a fresh worker's first claim); a quarter 0–150 ms after that
    /// worker's next compensation call reaches the destination (between the recorded failure and the recorded
    /// compensation, issue 20 item 6); the rest 0–250 ms after its next call of any kind (during the call, its
    /// acknowledgement or the next claim). A kill waiting for a call comes 1.5 s after the round began when none comes.
    /// </summary>
    public async Task KillAsync(int kills, Random random)
    {
        var clock = Stopwatch.StartNew();
        while (_kills < kills)
        {
            var order = Enumerable.Range(0, _workers.Length).OrderBy(_ => random.Next()).Take(kills - _kills).ToList();
            var calls = order.ToDictionary(slot => slot, slot => _destination.NextCallAsync(Name, slot));
            var undos = order.ToDictionary(slot => slot, slot => _destination.NextUndoAsync(Name, slot));
            foreach (var slot in order)
            {
                var point = random.Next(4);
                if (point == 0)
                {
                    await Task.Delay(random.Next(0, 150));
                }
                else if (point == 1)
                {
                    if (await Task.WhenAny(undos[slot], Task.Delay(1_500)) == undos[slot])
                    {
                        _undoKillPoints++;
                    }

                    await Task.Delay(random.Next(0, 150));
                }
                else
                {
                    await Task.WhenAny(calls[slot], Task.Delay(1_500));
                    await Task.Delay(random.Next(0, 250));
                }

                try
                {
                    _cpuMs.Add(_workers[slot]!.CpuTime.TotalMilliseconds);
                }
                catch (InvalidOperationException)
                {
                    // It exited on its own: the kill below finds it gone, and the check says why if that mattered.
                }

                await _workers[slot]!.DisposeAsync();
                _workers[slot] = null;
                _kills++;
            }

            await Task.WhenAll(order.Select(slot => StartAsync(slot)));
        }

        _killSeconds = clock.Elapsed.TotalSeconds;
    }

    /// <summary>Lets every slot run until each approved request is executed or failed (or the deadline passes).</summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var all = await ListAsync(null);
            if (all.Where(r => _approved.Contains(r.RequestId)).All(r => r.Status is "executed" or "failed" or "compensated"))
            {
                return;
            }

            // Polls another process's state: there is nothing to wait on but the API.
            await Task.Delay(200);
        }
    }

    /// <summary>Reads the outcome, stops the workers, runs <c>log verify</c>, and counts.</summary>
    public async Task<CrashReport> CheckAsync()
    {
        var all = await ListAsync(null);
        var (receipts, compensations, compensationClaims) = await LogFactsAsync();
        for (var slot = 0; slot < _workers.Length; slot++)
        {
            if (_workers[slot] is { } worker)
            {
                Outputs.Add(worker.Output);
                await worker.DisposeAsync();
                _workers[slot] = null;
            }
        }

        var (verifyExit, verifyOutput) = await HostProcess.RunCliOfAsync(CrashSettings.Executable, Work, _routes, "log", "verify");
        var calls = _destination.Calls.Where(c => c.Lane == Name).ToList();
        var keys = calls.Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        var approvedKeys = _approved.Select(id => _keyOf[id]).ToHashSet(StringComparer.Ordinal);
        var effects = _destination.Effects.Where(e => e.Value == Name).Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        var executedKeys = all.Where(r => r.Status == "executed").Select(r => r.IdempotencyKey).ToHashSet(StringComparer.Ordinal);
        var undoCalls = _destination.UndoCalls.Where(c => c.Lane == Name).ToList();
        var undoEffects = _destination.UndoEffects.Where(e => e.Value == Name).Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        var refused = all.Where(r => _approved.Contains(r.RequestId) && _refused.Contains(r.RequestId)).ToList();
        int CompensationsOf(string id) => compensations.TryGetValue(id, out var n) ? n : 0;
        var notCompensatedOnce = refused.Count(r => r.Status != "compensated" || CompensationsOf(r.RequestId) != 1 || !undoEffects.Contains(r.IdempotencyKey + ":undo"))
            + all.Count(r => !_refused.Contains(r.RequestId) && (CompensationsOf(r.RequestId) != 0 || undoEffects.Contains(r.IdempotencyKey + ":undo")));
        return new CrashReport(
            Name,
            _kills,
            _approved.Count,
            _unapproved,
            calls.Count,
            keys.Count,
            calls.Count - keys.Count,
            all.Count(r => r.Status == "executed"),
            all.Count(r => r.Status == "failed"),
            Lost: all.Count(r => _approved.Contains(r.RequestId) && !(r.Status is "executed" or "failed" or "compensated" && receipts.ContainsKey(r.RequestId))) + _approved.Count(id => all.All(r => r.RequestId != id)),
            Unexpected: keys.Count(k => !approvedKeys.Contains(k)),
            UnapprovedMoved: all.Count(r => !_approved.Contains(r.RequestId) && r.Status != "pending"),
            ExecutedWithoutEffect: executedKeys.Count(k => !effects.Contains(k)),
            EffectWithoutExecuted: effects.Count(k => !executedKeys.Contains(k)),
            ReceiptsWithoutApprover: receipts.Values.Count(r => r.ApprovedBy is null && r.PolicyId is null),
            CallsBySlot: [.. Enumerable.Range(0, _workers.Length).Select(s => calls.Count(c => c.Slot == s))],
            MaxAttempts: all.Count == 0 ? 0 : all.Max(r => r.Attempts),
            verifyExit,
            verifyOutput,
            _startMs.Count == 0 ? 0 : _startMs.Average(),
            _cpuMs.Count == 0 ? 0 : _cpuMs.Average(),
            _killSeconds,
            _schemaLockRefusals,
            refused.Count,
            refused.Count(r => r.Status == "compensated"),
            undoCalls.Count,
            undoCalls.Count - undoCalls.Select(c => c.Key).Distinct(StringComparer.Ordinal).Count(),
            notCompensatedOnce,
            _undoKillPoints,
            compensationClaims.Count(c => c.Value > 1));
    }

    /// <summary>Asserts the checks of issue 10 item 5 on one lane's report.</summary>
    public static void AssertHolds(CrashReport report, int slots)
    {
        Assert.True(report.Lost == 0, "lost: " + report);
        Assert.True(report.Unexpected == 0, "unexpected: " + report);
        Assert.True(report.UnapprovedMoved == 0, "unapproved moved: " + report);
        Assert.True(report.ExecutedWithoutEffect == 0 && report.EffectWithoutExecuted == 0, "effects per key: " + report);
        Assert.True(report.ReceiptsWithoutApprover == 0, "receipt without approver: " + report);
        Assert.True(report.Refused > 0 && report.NotCompensatedOnce == 0, "each refused request compensated exactly once: " + report);
        Assert.True(report.VerifyExit == 0, report.VerifyOutput);
        Assert.True(report.CallsBySlot.Count == slots && report.CallsBySlot.All(n => n > 0), "every worker slot dispatched: " + report);
    }

    private async Task StartAsync(int slot, bool dispatch = true)
    {
        var environment = new Dictionary<string, string>(_routes)
        {
            ["Ops__Egress__Dispatch"] = dispatch ? "true" : "false",
            ["Ops__Egress__Destinations__github__BaseUrl"] = $"http://127.0.0.1:{_destination.Port}/{Name}/{slot}/",
            ["Ops__Egress__LeaseMs"] = "1500",
            ["Ops__Egress__PollIntervalMs"] = "20",
            ["Ops__Egress__RetryBackoffMs"] = "50",
            ["Ops__Egress__MaxAttempts"] = "100",
            ["Ops__Egress__BatchSize"] = "4",
        };
        foreach (var (key, value) in CrashSettings.RuntimeKnobs)
        {
            environment[key] = value;
        }

        var clock = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                _workers[slot] = await HostProcess.StartWorkerAsync(Work, _ports[slot], environment, CrashSettings.Executable);
                break;
            }
            catch (InvalidOperationException ex) when (attempt < 5 && ex.Message.Contains("schema lock", StringComparison.Ordinal))
            {
                // Two workers starting at once on PostgreSQL: the second refuses while the first migrates (reported; not the egress path).
                Interlocked.Increment(ref _schemaLockRefusals);
            }
        }

        lock (_startMs)
        {
            _startMs.Add(clock.Elapsed.TotalMilliseconds);
        }
    }

    private Task CommitAsync(int issue) => EgressHttp.CommitAddLabelsAsync(_http[0], _signer!, "octo/" + Name, issue);

    private Task<IReadOnlyList<EgressRequestView>> ListAsync(string? status) => EgressHttp.ListAsync(LiveClient(), status);

    /// <summary>
    /// From the log, by request id: executed and failed receipts, how many <c>core.EgressCompensated</c> each request has, and
    /// how many times its compensation was claimed (<c>core.EgressCompensationClaimed</c>).
    /// </summary>
    private async Task<(Dictionary<string, EgressReceipt> Receipts, Dictionary<string, int> Compensations, Dictionary<string, int> CompensationClaims)> LogFactsAsync()
    {
        var receipts = new Dictionary<string, EgressReceipt>(StringComparer.Ordinal);
        var compensations = new Dictionary<string, int>(StringComparer.Ordinal);
        var claims = new Dictionary<string, int>(StringComparer.Ordinal);
        long after = 0;
        while (true)
        {
            using var response = await LiveClient().GetAsync($"/v1/events?after={after}&limit=1000");
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var events = document.RootElement.GetProperty("events");
            if (events.GetArrayLength() == 0)
            {
                return (receipts, compensations, claims);
            }

            foreach (var item in events.EnumerateArray())
            {
                var envelope = item.GetProperty("envelope");
                var type = envelope.GetProperty("event_type").GetString();
                if (type is EgressEventTypes.Executed or EgressEventTypes.Failed)
                {
                    var receipt = envelope.GetProperty("payload").Deserialize<EgressReceipt>(OpsJson.Options)!;
                    receipts[receipt.RequestId] = receipt;
                }
                else if (type is EgressEventTypes.Compensated or EgressEventTypes.CompensationClaimed)
                {
                    var id = envelope.GetProperty("payload").GetProperty("request_id").GetString()!;
                    var counts = type == EgressEventTypes.Compensated ? compensations : claims;
                    counts[id] = (counts.TryGetValue(id, out var n) ? n : 0) + 1;
                }
            }

            after = document.RootElement.GetProperty("next_after").GetInt64();
        }
    }

    private HttpClient LiveClient() => _http[Array.FindIndex(_workers, w => w is not null) is var i and >= 0 ? i : 0];

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            if (worker is not null)
            {
                await worker.DisposeAsync();
            }
        }

        foreach (var http in _http)
        {
            http.Dispose();
        }

        _signer?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Work, recursive: true);
    }
}

/// <summary>The egress HTTP calls the egress tests share: commit an AddLabels request as a signer, and list requests.</summary>
internal static class EgressHttp
{
    /// <summary>Proposes and commits <c>pack.github.issues.AddLabels</c> on <paramref name="repository"/>#<paramref name="issue"/>, signed by admin's key.</summary>
    public static Task CommitAddLabelsAsync(HttpClient http, ECDsa signer, string repository, int issue) =>
        CommitAsync(http, signer, new { command_type = "pack.github.issues.AddLabels", payload = new { repository, issue_number = issue, labels = new[] { "crash" } } });

    /// <summary>Proposes <paramref name="command"/> over HTTP and commits its first interpretation, signed by admin's key.</summary>
    public static async Task CommitAsync(HttpClient http, ECDsa signer, object command)
    {
        using var proposed = await http.PostAsJsonAsync("/v1/proposals", command);
        var json = await proposed.Content.ReadAsStringAsync();
        Assert.True(proposed.IsSuccessStatusCode, json);
        var proposal = JsonSerializer.Deserialize<Proposal>(json, OpsJson.Options)!;
        var interpretation = proposal.Interpretations[0];
        var consent = ConsentSigning.Sign(signer, "admin", interpretation, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
        using var committed = await http.PostAsync("/v1/commits", JsonContent.Create(new CommitRequest(proposal.Command, proposal.ProposedAt, interpretation.InterpretationId, interpretation.PreviewHash, consent), options: OpsJson.Options));
        Assert.True(committed.IsSuccessStatusCode, await committed.Content.ReadAsStringAsync());
    }

    /// <summary>GET /v1/egress (every status when <paramref name="status"/> is null), up to 10,000.</summary>
    public static async Task<IReadOnlyList<EgressRequestView>> ListAsync(HttpClient http, string? status)
    {
        using var response = await http.GetAsync("/v1/egress?limit=10000" + (status is null ? string.Empty : "&status=" + status));
        var json = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, json);
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("requests").Deserialize<List<EgressRequestView>>(OpsJson.Options)!;
    }
}
