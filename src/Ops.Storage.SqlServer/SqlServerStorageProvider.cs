using Microsoft.Data.SqlClient;
using Ops.Storage.SqlServer;

namespace Ops.Storage.SqlServer
{
    /// <summary>
    /// The SQL Server provider: answers routes with provider <c>sqlserver</c>, whose ConnectionString is a SqlClient
    /// connection string (for example <c>Server=db1;Database=ops;User ID=ops;Password=...;Encrypt=true</c>). Built and
    /// its script checked; see docs/operations.md for what is proven against a live server. Register it with
    /// <see cref="Microsoft.Extensions.DependencyInjection.SqlServerOpsBuilderExtensions.UseSqlServer"/>.
    /// </summary>
    public sealed class SqlServerStorageProvider : IStorageProvider
    {
        /// <inheritdoc/>
        public IReadOnlyList<string> Names { get; } = ["sqlserver"];

        /// <inheritdoc/>
        public ResolvedRoute Resolve(string resourceKind, string provider, RouteOptions options, string contentRoot)
        {
            ArgumentNullException.ThrowIfNull(options);
            if (string.IsNullOrWhiteSpace(options.ConnectionString))
            {
                throw new OpsException(ReasonCodes.ConfigurationInvalid, $"Route '{resourceKind}' uses provider sqlserver but has no ConnectionString (Ops:Routes:{resourceKind}:ConnectionString, a SqlClient connection string such as Server=db1;Database=ops;User ID=ops;Password=...;Encrypt=true). Nothing was started.");
            }

            try
            {
                _ = new SqlConnectionStringBuilder(options.ConnectionString);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
            {
                // Not echoed: the string may hold a password.
                throw new OpsException(ReasonCodes.ConfigurationInvalid, $"Route '{resourceKind}' uses provider sqlserver, but its ConnectionString does not parse as a SqlClient connection string. Nothing was started.");
            }

            return new ResolvedRoute(resourceKind, "sqlserver", options.ConnectionString, false);
        }

        /// <inheritdoc/>
        public IStorageEngine Open(ResolvedRoute route, StorageContext context) => SqlServerEngine.Create(route);
    }
}

namespace Microsoft.Extensions.DependencyInjection
{
    /// <summary>Adds the SQL Server provider to the kernel: <c>services.AddOps(configuration).UseSqlServer()</c>.</summary>
    public static class SqlServerOpsBuilderExtensions
    {
        /// <summary>Routes naming <c>sqlserver</c> open SQL Server databases (<see cref="SqlServerStorageProvider"/>).</summary>
        /// <param name="builder">The kernel's builder.</param>
        /// <returns>The builder.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
        public static IOpsBuilder UseSqlServer(this IOpsBuilder builder)
        {
            ArgumentNullException.ThrowIfNull(builder);
            return builder.UseStorage(new SqlServerStorageProvider());
        }
    }
}
