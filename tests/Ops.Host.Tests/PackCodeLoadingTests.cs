using System.Runtime.Loader;
using Ops.Core.Errors;
using Ops.Core.Packs.Install;
using Ops.Verification;

namespace Ops.Host.Tests;

/// <summary>
/// Issue 16 item 3: nothing of a pack runs before it passes, in any process. A pack whose module initializer, static
/// constructor and registration would each write a marker file is refused at install and, recorded as installed all the
/// same (a core.InstallPack proposed around the checks), never runs: not at install, not when the worker starts, not in
/// the CLI's processes. A file the install did not record is refused by name. And the CLI's admin verbs load no pack code
/// at all, even for packs that pass.
/// <para>
/// How "loads no pack code" is observed: in the CLI's own process, started as an operator starts it, with a .NET startup
/// hook (DOTNET_STARTUP_HOOKS, a tiny assembly built here) that writes, when the process exits, every assembly it saw load
/// and the load context it went into. A pack's code can only run from an assembly loaded into a <c>pack:&lt;id&gt;</c>
/// context, so "no such context, no pack assembly" is the proof, whatever the pack does. In-process inspection of the test
/// runner would not do: the CLI reads the working folder and environment of its process, which tests run in parallel
/// cannot each set, and the runner's contexts already hold packs other tests loaded. A marker file cannot show it either,
/// since a pack that passes the allow-list cannot write files.
/// </para>
/// </summary>
public sealed class PackCodeLoadingTests
{
    [Fact]
    public async Task HostilePack_RefusedAtInstall_AndRecordedAroundTheChecks_NeverRuns_InTheWorkerOrInCliProcesses()
    {
        await using var host = await PackHost.StartAsync();
        var marker = Path.Combine(host.Work, "pack-code-ran");
        var folder = PackFolders.Write(
            Path.Combine(host.Work, "marker"), "marker", "Ops.Packs.Marker.dll", "Ops.Packs.Marker.MarkerPack",
            new Dictionary<string, byte[]> { ["Ops.Packs.Marker.dll"] = MarkerWriter(marker) });

        Assert.False(await host.InstallAsync(folder));
        Assert.Contains("[no-module-initializer]", host.Output.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(marker), "pack code ran at install");

        // The install handler decides on core state only, so a core.InstallPack proposed by hand records the folder anyway.
        var snapshot = PackSnapshot.Read(folder);
        var forged = await host.SendAsync(PackInstallNames.InstallPack, PackInstallNames.TargetOf("marker"), new InstallPack("marker", "1.0.0", snapshot.ContentHash, [], [], folder, null) { Files = snapshot.FileRecords, Contracts = [] });
        Assert.True(forged.IsAccepted, forged.Reason);

        await host.ReopenAsync();
        var refused = Assert.Single(host.Loader.Refused);
        Assert.Equal(("marker", ReasonCodes.PackRefused), (refused.PackId, refused.Code));
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == "Ops.Packs.Marker");

        var environment = new Dictionary<string, string> { ["Ops__PacksPath"] = Path.Combine(host.Work, "bundled") };
        foreach (var verb in new[] { new[] { "status" }, ["packs", "list"], ["log", "verify"], ["projections", "list"] })
        {
            var (_, output) = await HostProcess.RunCliAsync(host.Work, environment, verb);
            Assert.False(File.Exists(marker), $"pack code ran in '{string.Join(' ', verb)}':\n{output}");
            Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        }

        var (_, list) = await HostProcess.RunCliAsync(host.Work, environment, "packs", "list");
        Assert.Contains("marker", list, StringComparison.Ordinal);
        Assert.Contains("REFUSED", list, StringComparison.Ordinal);

        await using (await HostProcess.StartWorkerAsync(host.Work, HostProcess.FreePort(), environment))
        {
            Assert.False(File.Exists(marker), "pack code ran when the worker started");
        }

        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task Load_AFileTheInstallDidNotRecord_IsRefusedByName_AndNothingOfThePackLoads()
    {
        await using var host = await PackHost.StartAsync();
        var folder = PackFolders.Write(
            Path.Combine(host.Work, "plain"), "plain", "Ops.Packs.Plain.dll", "Ops.Packs.Plain.PlainPack",
            new Dictionary<string, byte[]> { ["Ops.Packs.Plain.dll"] = PackFolders.EmptyEntry("Plain") });
        Assert.True(await host.InstallAsync(folder), host.Output.ToString());
        await host.ReopenAsync();
        Assert.Contains(host.Loader.Contexts, c => c.Name == "pack:plain");

        // An assembly dropped beside the pack after its install, under a name the runtime might look for.
        await File.WriteAllBytesAsync(Path.Combine(folder, "Ops.Packs.Plain.Helpers.dll"), PackFolders.EmptyEntry("Helpers"));
        var before = AssemblyLoadContext.All.ToHashSet();
        await host.ReopenAsync();

        var refused = Assert.Single(host.Loader.Refused);
        Assert.Equal(("plain", ReasonCodes.PackHashMismatch), (refused.PackId, refused.Code));
        Assert.Contains("Ops.Packs.Plain.Helpers.dll is not a file its install recorded", refused.Reason, StringComparison.Ordinal);
        Assert.Contains("--upgrade", refused.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(AssemblyLoadContext.All, c => !before.Contains(c) && c.Name == "pack:plain");
        Assert.Empty(host.Loader.Contexts);
    }

    [Fact]
    [Trait("Pack", "notes")]
    public async Task CliAdminVerbs_LoadNoPackCode_WhileVerbsThatRunPackHandlersDo()
    {
        var work = Directory.CreateTempSubdirectory("ops-cli-packcode-").FullName;
        try
        {
            var hook = Path.Combine(work, "hook", "OpsLoadReport.dll");
            Directory.CreateDirectory(Path.GetDirectoryName(hook)!);
            await File.WriteAllBytesAsync(hook, PackFolders.Compile("OpsLoadReport", LoadReportHook));
            var (initCode, initOutput) = await HostProcess.RunCliAsync(work, null, "init");
            Assert.True(initCode == 0, initOutput);
            Assert.Contains("Installed bundled pack", initOutput, StringComparison.Ordinal);

            foreach (var verb in new[] { new[] { "status" }, ["packs", "list"], ["log", "verify"], ["log", "tail"], ["keys", "list"], ["actors", "list"], ["capabilities", "list"], ["audit", "list"] })
            {
                var (output, loads) = await RunWithLoadReportAsync(work, hook, verb);
                Assert.DoesNotContain(loads, l => l.Context.StartsWith("pack:", StringComparison.Ordinal));
                Assert.DoesNotContain(loads, l => l.Assembly.StartsWith("Ops.Packs.", StringComparison.Ordinal));
                Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
            }

            var (statusOutput, _) = await RunWithLoadReportAsync(work, hook, ["status"]);
            Assert.Contains("notes 1.0.0 (checked; loads in the worker)", statusOutput, StringComparison.Ordinal);

            // The control: a verb that may run a pack's projections loads the packs, and the hook sees it.
            var (_, projectionLoads) = await RunWithLoadReportAsync(work, hook, ["projections", "list"]);
            Assert.Contains(projectionLoads, l => l.Context == "pack:notes" && l.Assembly == "Ops.Packs.Notes");
            Assert.Contains(projectionLoads, l => l.Context == "Default" && l.Assembly == "Ops.Packs.Notes.Contracts");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Runs a CLI verb with the load-report hook; returns its output and every (context, assembly) it loaded.</summary>
    private static async Task<(string Output, List<(string Context, string Assembly)> Loads)> RunWithLoadReportAsync(string work, string hook, string[] verb)
    {
        var report = Path.Combine(work, "hook", $"loads-{string.Join('-', verb)}.txt");
        var (_, output) = await HostProcess.RunCliAsync(work, new Dictionary<string, string> { ["DOTNET_STARTUP_HOOKS"] = hook, ["OPS_TEST_LOAD_REPORT"] = report }, verb);
        Assert.True(File.Exists(report), $"the load report of '{string.Join(' ', verb)}' was not written:\n{output}");
        var loads = (await File.ReadAllLinesAsync(report)).Select(l => l.Split('\t')).Select(p => (p[0], p[1])).ToList();
        Assert.Contains(loads, l => l.Item2 == "Ops.Host");
        return (output, loads);
    }

    /// <summary>An entry assembly whose module initializer, static constructor and registration each write <paramref name="marker"/>.</summary>
    private static byte[] MarkerWriter(string marker) => PackFolders.Compile(
        "Ops.Packs.Marker",
        $$"""
        namespace Ops.Packs.Marker
        {
            public sealed class MarkerPack : Ops.Core.Packs.IOpsPack
            {
                static MarkerPack() { System.IO.File.WriteAllText(@"{{marker}}", "static constructor"); }
                public void Register(Ops.Core.Packs.IPackBuilder builder) { System.IO.File.WriteAllText(@"{{marker}}", "register"); }
            }

            internal static class Init
            {
                [System.Runtime.CompilerServices.ModuleInitializer]
                internal static void Run() { System.IO.File.WriteAllText(@"{{marker}}", "module initializer"); }
            }
        }
        """);

    /// <summary>A startup hook that records every assembly the process loads, with its load context, into OPS_TEST_LOAD_REPORT at exit.</summary>
    private const string LoadReportHook = """
        internal static class StartupHook
        {
            private static readonly System.Collections.Concurrent.ConcurrentQueue<string> Loads = new();

            public static void Initialize()
            {
                var report = System.Environment.GetEnvironmentVariable("OPS_TEST_LOAD_REPORT")!;
                System.AppDomain.CurrentDomain.AssemblyLoad += (_, e) => Loads.Enqueue(Line(e.LoadedAssembly));
                System.AppDomain.CurrentDomain.ProcessExit += (_, _) =>
                {
                    foreach (var assembly in System.AppDomain.CurrentDomain.GetAssemblies())
                    {
                        Loads.Enqueue(Line(assembly));
                    }

                    System.IO.File.WriteAllLines(report, Loads);
                };
            }

            private static string Line(System.Reflection.Assembly assembly) =>
                (System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(assembly)?.Name ?? "?") + "\t" + assembly.GetName().Name;
        }
        """;
}
