using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Hosting;
using Ops.Core.Packs;
using Ops.Core.Storage;
using Ops.Packs.GitHub;
using Ops.Packs.Notes;
using Ops.Storage.Sqlite;

namespace Ops.Load;

/// <summary>Opens a real kernel in process, the way tests/Ops.Testing/KernelHarness does, with the notes pack (and optionally github).</summary>
internal static class KernelFactory
{
    public static async Task<OpsKernel> OpenAsync(string databasePath, string synchronous, bool initialize = true, IDictionary<string, string?>? extra = null, bool withGitHub = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(databasePath)!);
        var connection = $"Data Source={databasePath}";
        var values = new Dictionary<string, string?>
        {
            ["Ops:Mode"] = "system",
            ["Ops:Synchronous"] = synchronous,
            ["Ops:Routes:event_log:Provider"] = "sqlite",
            ["Ops:Routes:event_log:ConnectionString"] = connection,
            ["Ops:Routes:projections:Provider"] = "sqlite",
            ["Ops:Routes:projections:ConnectionString"] = connection,
            ["Ops:Routes:notes_store:Provider"] = "sqlite",
            ["Ops:Routes:notes_store:ConnectionString"] = connection,
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        // Composed the one way every host composes the kernel (AddOps).
        var services = new ServiceCollection();
        services.AddSingleton<Microsoft.Extensions.Logging.ILoggerFactory>(NullLoggerFactory.Instance);
        var ops = services.AddOps(configuration).UseSqlite().UsePostgreSQL().AddPack<NotesPack>();
        if (withGitHub)
        {
            ops.AddPack<GitHubPack>();
        }

        services.Configure<KernelOptions>(o => o.ContentRoot = Path.GetDirectoryName(databasePath)!);
        var kernel = services.BuildServiceProvider().GetRequiredService<OpsKernel>();
        if (initialize)
        {
            // init also registers the admin's consent signing key (issue 3); the harness signs nothing with it.
            using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            await Bootstrap.InitializeAsync(kernel, "admin", "acme", Convert.ToBase64String(signer.ExportSubjectPublicKeyInfo()), CancellationToken.None);
        }

        return kernel;
    }
}

/// <summary>The database settings a connection actually runs with, read back from SQLite itself.</summary>
internal static class DbSettings
{
    public static Dictionary<string, object> Read(SqliteConnection connection)
    {
        string Pragma(string name)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA " + name;
            return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
        }

        var synchronous = Pragma("synchronous") switch { "0" => "OFF", "1" => "NORMAL", "2" => "FULL", "3" => "EXTRA", var s => s };
        var cache = long.Parse(Pragma("cache_size"), System.Globalization.CultureInfo.InvariantCulture);
        var page = long.Parse(Pragma("page_size"), System.Globalization.CultureInfo.InvariantCulture);
        return new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["journal_mode"] = Pragma("journal_mode").ToUpperInvariant(),
            ["synchronous"] = synchronous,
            ["page_size"] = page,
            ["cache_size"] = cache < 0 ? $"{-cache} KiB" : $"{cache} pages ({cache * page / 1024} KiB)",
        };
    }

    /// <summary>Reads the settings of a database as the kernel opens it (same pragmas as the log writer's connection).</summary>
    public static Dictionary<string, object> Of(string databasePath, string synchronous)
    {
        using var database = new SqliteDatabase($"Data Source={databasePath}", synchronous);
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sqlite_version()";
        var settings = Read(connection);
        settings["sqlite"] = command.ExecuteScalar()!;
        return settings;
    }
}
