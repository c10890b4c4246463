using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using Ops.Core.Log.Integrity;

namespace Ops.Storage.PostgreSQL;

/// <summary>
/// The log tables' schema on PostgreSQL (issue 20 item 4): columns, indexes, triggers with whether each is enabled and
/// the source of the function it runs, rules, row-level security and policies (which could hide rows from verify), and
/// the views that make DROP COLUMN fail. The expected schema comes from running the migrations' own script in a scratch
/// schema inside a transaction that is rolled back, so it is what the migrations create, never what this database's
/// catalogue says now.
/// </summary>
[Authority(AuthorityClass.SchemaMigrator)]
internal static class PostgresLogSchema
{
    private const string Describe = """
        SELECT 'column', table_name::text, column_name::text, data_type::text, is_nullable::text, coalesce(collation_name::text, ''), coalesce(column_default::text, ''), ordinal_position::text
          FROM information_schema.columns WHERE table_schema = current_schema() AND table_name IN ('events', 'command_outcomes')
        UNION ALL
        SELECT 'index', tablename::text, indexname::text, indexdef, '', '', '', ''
          FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ('events', 'command_outcomes')
        UNION ALL
        SELECT 'trigger', c.relname::text, t.tgname::text, pg_get_triggerdef(t.oid), t.tgenabled::text, p.proname::text, p.prosrc, p.prosecdef::text
          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relname IN ('events', 'command_outcomes') AND NOT t.tgisinternal
        UNION ALL
        SELECT 'rule', tablename::text, rulename::text, definition, '', '', '', ''
          FROM pg_rules WHERE schemaname = current_schema() AND tablename IN ('events', 'command_outcomes')
        UNION ALL
        SELECT 'policy', tablename::text, policyname::text, coalesce(qual, ''), coalesce(with_check, ''), cmd, permissive, ''
          FROM pg_policies WHERE schemaname = current_schema() AND tablename IN ('events', 'command_outcomes')
        UNION ALL
        SELECT 'relation', c.relname::text, c.relkind::text, c.relrowsecurity::text, c.relforcerowsecurity::text, '', '', ''
          FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relname IN ('events', 'command_outcomes', 'ops_events_chained', 'ops_outcomes_chained')
        UNION ALL
        SELECT 'view', viewname::text, definition, '', '', '', '', ''
          FROM pg_views WHERE schemaname = current_schema() AND viewname IN ('ops_events_chained', 'ops_outcomes_chained')
        """;

    /// <summary>The schema as stored now, in the connection's current schema.</summary>
    public static async Task<LogSchema> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT current_schema()", connection, transaction);
        var schema = (string)(await command.ExecuteScalarAsync(cancellationToken))!;
        command.CommandText = Describe;
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var parts = new string?[reader.FieldCount];
            for (var i = 0; i < parts.Length; i++)
            {
                // Definitions name objects with their schema only sometimes (it depends on search_path): never count it.
                parts[i] = (reader.GetValue(i) as string)?.Replace(schema + ".", string.Empty, StringComparison.Ordinal).Replace("\"" + schema + "\".", string.Empty, StringComparison.Ordinal);
            }

            lines.Add(LogSchema.Line(parts));
        }

        return LogSchema.Of(lines);
    }

    /// <summary>
    /// Runs every migration's SQL in a new schema inside one transaction, describes that schema and rolls it all back:
    /// nothing of the database changes, and the result does not depend on what its catalogue holds now.
    /// </summary>
    public static async Task<LogSchema> ExpectedAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        string script;
        using (var context = new PostgresMigrationsContext(new DbContextOptionsBuilder<PostgresMigrationsContext>().UseNpgsql(dataSource).ConfigureWarnings(w => w.Ignore(Microsoft.EntityFrameworkCore.Diagnostics.RelationalEventId.PendingModelChangesWarning)).Options))
        {
            script = context.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.NoTransactions);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var schema = "ops_expected_schema_" + Guid.NewGuid().ToString("N")[..16];
        await using (var command = new NpgsqlCommand($"CREATE SCHEMA {schema}; SET LOCAL search_path TO {schema};", connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
            command.CommandText = script;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        var expected = await ReadAsync(connection, transaction, cancellationToken);
        await transaction.RollbackAsync(cancellationToken);
        return expected;
    }
}
