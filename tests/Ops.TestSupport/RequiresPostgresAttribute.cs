namespace Ops.TestSupport;

/// <summary>
/// Marks a test class whose every test needs the run's PostgreSQL server (<see cref="PostgresServer"/>). When no server
/// can be had, <see cref="OpsTestFramework"/> reports each of its tests skipped with <see cref="PostgresServer.SkipReason"/>
/// instead of running it. Inherited, so an abstract suite's PostgreSQL subclass needs it once.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class RequiresPostgresAttribute : Attribute;
