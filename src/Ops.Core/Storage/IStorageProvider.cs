using Ops.Core.Routing;

namespace Ops.Core.Storage;

/// <summary>
/// A storage engine as a provider package (issue 21 item 1, the way EF Core publishes its providers): it resolves the
/// routes that name it (<c>Ops:Routes:&lt;kind&gt;:Provider</c>, seed 001: the routing registry is the sole backend
/// selector) and opens an engine for a resolved route. Registered with <c>builder.UseStorage(provider)</c>, or the
/// provider package's own <c>UseSqlite()</c>, <c>UsePostgreSQL()</c>, <c>UseSqlServer()</c>. For provider authors
/// only: applications never call it. An engine must pass the conformance suite (tests/Ops.Storage.Conformance.Tests).
/// </summary>
public interface IStorageProvider
{
    /// <summary>The provider names this package answers in configuration, lowercase (for example <c>sqlite</c> and <c>memory</c>).</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>
    /// Validates a route's options and resolves it: relative file paths against <paramref name="contentRoot"/>, a
    /// connection string parsed (never echoed in an error: it may hold a password). A route only lab mode may use sets
    /// <see cref="ResolvedRoute.IsLab"/>; the kernel refuses it outside mode <c>lab</c> (seed 001: no downgrade to memory).
    /// </summary>
    /// <param name="resourceKind">The routed kind, for example <c>event_log</c>.</param>
    /// <param name="provider">The name the route gives, one of <see cref="Names"/>, lowercase.</param>
    /// <param name="options">The route's options.</param>
    /// <param name="contentRoot">The folder relative paths resolve against.</param>
    /// <returns>The resolved route.</returns>
    /// <exception cref="Errors.OpsException"><see cref="Errors.ReasonCodes.ConfigurationInvalid"/>: the options are missing or malformed. Nothing was opened.</exception>
    ResolvedRoute Resolve(string resourceKind, string provider, RouteOptions options, string contentRoot);

    /// <summary>Opens the engine for <paramref name="route"/>, not yet migrated; the caller disposes it.</summary>
    /// <param name="route">A route this provider resolved.</param>
    /// <param name="context">The kernel's settings an engine may use.</param>
    /// <returns>The engine.</returns>
    IStorageEngine Open(ResolvedRoute route, StorageContext context);
}

/// <summary>What the kernel hands an engine when it opens one.</summary>
/// <param name="Synchronous">The durability setting (<c>Ops:Synchronous</c>: <c>FULL</c> or <c>NORMAL</c>), for engines that have one.</param>
/// <param name="Time">The kernel's clock.</param>
public sealed record StorageContext(string Synchronous, TimeProvider Time);

/// <summary>
/// A provider whose database is one file an operator can copy (SQLite): the kernel's <c>db backup</c> and
/// <c>db restore</c> use it (issue 15 item 5); for any other provider they refuse and point at the engine's own tools.
/// </summary>
public interface IFileDatabaseProvider
{
    /// <summary>The database file of <paramref name="route"/>, absolute; null when the route is not a file (a lab database in memory).</summary>
    /// <param name="route">A route this provider resolved.</param>
    /// <returns>The path, or null.</returns>
    string? DatabaseFile(ResolvedRoute route);

    /// <summary>A route that opens the database in <paramref name="file"/> (to verify a copy).</summary>
    /// <param name="resourceKind">The kind to label the route with.</param>
    /// <param name="file">An existing database file.</param>
    /// <returns>The route.</returns>
    ResolvedRoute RouteFor(string resourceKind, string file);

    /// <summary>Copies the database in <paramref name="sourceFile"/> into <paramref name="targetFile"/>, consistently even while a writer works (the engine's online backup).</summary>
    /// <param name="sourceFile">The database to copy, opened read-only.</param>
    /// <param name="targetFile">The file to write; replaced when it exists.</param>
    void Copy(string sourceFile, string targetFile);
}
