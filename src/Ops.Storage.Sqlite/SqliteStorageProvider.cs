using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Ops.Storage.Sqlite;

/// <summary>
/// The SQLite provider (DESIGN.md §6, the worker's embedded default): answers routes with provider <c>sqlite</c>
/// (a file, durable; a relative path resolves against the content root and its folder is created 0700) and
/// <c>memory</c> (a shared in-memory database, lab mode only). Its databases are single files, so it also serves
/// <c>db backup</c> and <c>db restore</c> (<see cref="IFileDatabaseProvider"/>). Register it with
/// <see cref="SqliteOpsBuilderExtensions.UseSqlite"/>.
/// </summary>
public sealed class SqliteStorageProvider : IStorageProvider, IFileDatabaseProvider
{
    /// <inheritdoc/>
    public IReadOnlyList<string> Names { get; } = ["sqlite", "memory"];

    /// <inheritdoc/>
    public ResolvedRoute Resolve(string resourceKind, string provider, RouteOptions options, string contentRoot)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (provider == "memory")
        {
            var name = string.IsNullOrWhiteSpace(options.ConnectionString) ? resourceKind : options.ConnectionString.Trim();
            return new ResolvedRoute(resourceKind, "memory", $"Data Source=ops-lab-{name};Mode=Memory;Cache=Shared", true);
        }

        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new OpsException(ReasonCodes.ConfigurationInvalid, $"Route '{resourceKind}' uses provider sqlite but has no ConnectionString (Ops:Routes:{resourceKind}:ConnectionString, for example Data Source=data/ops.db). Nothing was started.");
        }

        return new ResolvedRoute(resourceKind, "sqlite", SqliteDatabase.ResolveFileConnectionString(options.ConnectionString, contentRoot), false);
    }

    /// <inheritdoc/>
    public IStorageEngine Open(ResolvedRoute route, StorageContext context)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(context);
        return new SqliteEngine(new SqliteDatabase(route.ConnectionString, context.Synchronous), context.Time);
    }

    /// <inheritdoc/>
    public string? DatabaseFile(ResolvedRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        if (route.IsLab)
        {
            return null;
        }

        var builder = new SqliteConnectionStringBuilder(route.ConnectionString);
        return builder.Mode == SqliteOpenMode.Memory || builder.DataSource == ":memory:" ? null : Path.GetFullPath(builder.DataSource);
    }

    /// <inheritdoc/>
    public ResolvedRoute RouteFor(string resourceKind, string file) =>
        new(resourceKind, "sqlite", new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(file), Pooling = false }.ToString(), false);

    /// <inheritdoc/>
    public void Copy(string sourceFile, string targetFile)
    {
        using var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = sourceFile, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        using var target = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = targetFile, Pooling = false }.ToString());
        source.Open();
        target.Open();
        source.BackupDatabase(target);
    }
}
