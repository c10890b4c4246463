using Ops.TestSupport;
namespace Ops.Core.Tests.Storage.Postgres;

/// <summary>The conformance suite on a real PostgreSQL (the run's server, <see cref="PostgresServer"/>).</summary>
[RequiresPostgres]
public sealed class PostgresConformance(PostgresFixture fixture) : EngineConformance<PostgresFixture>(fixture);
