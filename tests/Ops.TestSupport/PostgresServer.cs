using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Ops.TestSupport;

/// <summary>
/// The PostgreSQL server of this test run, the same way in every test project: the one named by <c>OPS_TEST_POSTGRES</c>
/// (a superuser's Npgsql connection string), or else a throwaway cluster this process initdb's into a temp folder (as the
/// OS user postgres when run as root, since initdb refuses root), starts on 127.0.0.1 on a free port, and stops when the
/// process exits. With neither (no variable, no Debian <c>postgresql</c> package), <see cref="SkipReason"/> says so and
/// every test of a class marked <see cref="RequiresPostgresAttribute"/> is reported skipped with that one line
/// (<see cref="OpsTestFramework"/>): never a silent pass, never a failure for a missing variable.
/// </summary>
public static class PostgresServer
{
    public const string Variable = "OPS_TEST_POSTGRES";

    /// <summary>
    /// Why PostgreSQL tests cannot run in this process (no server named and no server installed), or null when they can.
    /// Decided without starting anything.
    /// </summary>
    public static string? SkipReason =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } || FindBinaries() is not null
            ? null
            : $"PostgreSQL tests skipped: no server installed (Debian: apt-get install -y postgresql) and {Variable} is not set.";

    private static readonly Lazy<string> Admin = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A superuser's connection string to the server's <c>postgres</c> database.</summary>
    public static string AdminConnectionString => Admin.Value;

    /// <summary>The connection string of <paramref name="database"/> on the same server, as the same user.</summary>
    public static string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database, Pooling = true }.ConnectionString;

    private static string Start()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } named)
        {
            return named;
        }

        var bin = FindBinaries() ?? throw new InvalidOperationException(
            $"These tests need PostgreSQL 15: install Debian's server (apt-get install -y postgresql), or set {Variable} to a superuser's connection string.");
        var dir = Directory.CreateTempSubdirectory("ops-pg-test-").FullName;
        var asPostgres = Environment.UserName == "root";
        if (asPostgres)
        {
            Run("chown", "postgres", dir);
        }

        var port = FreePort();
        Run(bin, asPostgres, "initdb", "-D", Path.Combine(dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8");
        Run(bin, asPostgres, "pg_ctl", "-D", Path.Combine(dir, "data"), "-l", Path.Combine(dir, "server.log"), "-w", "-t", "60",
            "-o", $"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={dir} -c max_connections=200", "start");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            // The cluster dies with the test run; a failed stop only leaves a temp folder behind.
            try
            {
                Run(bin, asPostgres, "pg_ctl", "-D", Path.Combine(dir, "data"), "-m", "immediate", "-w", "stop");
                Directory.Delete(dir, recursive: true);
            }
            catch (InvalidOperationException)
            {
            }
            catch (IOException)
            {
            }
        };
        return $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres";
    }

    private static string? FindBinaries()
    {
        var root = "/usr/lib/postgresql";
        return Directory.Exists(root)
            ? Directory.GetDirectories(root).OrderDescending(StringComparer.Ordinal).Select(d => Path.Combine(d, "bin")).FirstOrDefault(b => File.Exists(Path.Combine(b, "initdb")))
            : null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Run(string bin, bool asPostgres, string tool, params string[] arguments) =>
        Run(asPostgres ? "runuser" : Path.Combine(bin, tool), asPostgres ? ["-u", "postgres", "--", Path.Combine(bin, tool), .. arguments] : arguments);

    private static void Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {error}{output.Result}");
        }
    }
}
