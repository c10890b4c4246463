using Npgsql;
using Ops.Storage.PostgreSQL;

namespace Ops.Storage.PostgreSQL
{
    /// <summary>
    /// The PostgreSQL provider (DESIGN.md §6: several workers sharing one database): answers routes with provider
    /// <c>postgres</c>, whose ConnectionString is an Npgsql connection string (for example
    /// <c>Host=db1;Database=ops;Username=ops</c>). Register it with <see cref="Microsoft.Extensions.DependencyInjection.PostgreSqlOpsBuilderExtensions.UsePostgreSQL"/>.
    /// </summary>
    public sealed class PostgreSqlStorageProvider : IStorageProvider
    {
        /// <inheritdoc/>
        public IReadOnlyList<string> Names { get; } = ["postgres"];

        /// <inheritdoc/>
        public ResolvedRoute Resolve(string resourceKind, string provider, RouteOptions options, string contentRoot)
        {
            ArgumentNullException.ThrowIfNull(options);
            if (string.IsNullOrWhiteSpace(options.ConnectionString))
            {
                throw new OpsException(ReasonCodes.ConfigurationInvalid, $"Route '{resourceKind}' uses provider postgres but has no ConnectionString (Ops:Routes:{resourceKind}:ConnectionString, an Npgsql connection string such as Host=db1;Database=ops;Username=ops). Nothing was started.");
            }

            try
            {
                _ = new NpgsqlConnectionStringBuilder(options.ConnectionString);
            }
            catch (ArgumentException)
            {
                // Not echoed: the string may hold a password.
                throw new OpsException(ReasonCodes.ConfigurationInvalid, $"Route '{resourceKind}' uses provider postgres, but its ConnectionString does not parse as an Npgsql connection string. Nothing was started.");
            }

            return new ResolvedRoute(resourceKind, "postgres", options.ConnectionString, false);
        }

        /// <inheritdoc/>
        public IStorageEngine Open(ResolvedRoute route, StorageContext context) => PostgresEngine.Create(route);
    }
}

namespace Microsoft.Extensions.DependencyInjection
{
    /// <summary>Adds the PostgreSQL provider to the kernel: <c>services.AddOps(configuration).UsePostgreSQL()</c>.</summary>
    public static class PostgreSqlOpsBuilderExtensions
    {
        /// <summary>Routes naming <c>postgres</c> open PostgreSQL databases (<see cref="PostgreSqlStorageProvider"/>).</summary>
        /// <param name="builder">The kernel's builder.</param>
        /// <returns>The builder.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
        public static IOpsBuilder UsePostgreSQL(this IOpsBuilder builder)
        {
            ArgumentNullException.ThrowIfNull(builder);
            return builder.UseStorage(new PostgreSqlStorageProvider());
        }
    }
}
