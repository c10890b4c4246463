namespace Ops.Core.Packs.Install;

/// <summary>
/// <c>core.InstallPack</c>: target_ref <c>pack-&lt;pack_id&gt;</c>. Records that an admin approved one pack,
/// by content hash, after the host verified its folder (manifest, content hash, publisher signature,
/// architecture rules: constitution §3, §9). The handler decides on core state only: it refuses a pack id
/// installed with another content hash unless <see cref="Upgrade"/> is set, and a <see cref="DependsOn"/>
/// that no installed pack exports.
/// </summary>
/// <param name="PackId">The manifest's pack_id, <c>[a-z][a-z0-9_]*</c>.</param>
/// <param name="Version">The manifest's semver.</param>
/// <param name="ContentHash">SHA-256 (64 lowercase hex) over the pack folder, signature file excluded.</param>
/// <param name="Exports">Contract assemblies (<c>*.Contracts</c>) the pack exports.</param>
/// <param name="DependsOn">Contract assemblies of other packs it depends on.</param>
/// <param name="Source">Absolute path of the verified folder on the worker's machine; the pack is loaded from there.</param>
/// <param name="PublisherKeyId">Key id of the trusted publisher whose signature verified, or <see langword="null"/> when unsigned.</param>
/// <param name="Upgrade">Replace an installed pack of the same id with this content.</param>
public sealed record InstallPack(
    string PackId,
    string Version,
    string ContentHash,
    IReadOnlyList<string> Exports,
    IReadOnlyList<string> DependsOn,
    string Source,
    string? PublisherKeyId,
    bool Upgrade = false);

/// <summary><c>core.RemovePack</c>: target_ref <c>pack-&lt;pack_id&gt;</c>. The pack's historical events stay in the log (constitution §10).</summary>
/// <param name="PackId">The installed pack.</param>
/// <param name="Reason">Why (recorded).</param>
public sealed record RemovePack(string PackId, string Reason);

/// <summary>
/// <c>core.PackInstalled</c>, on stream <c>core:pack-&lt;pack_id&gt;</c>: the pack the loader may load, by
/// content hash. The approving actor is the envelope's actor and the audit record's signer. Payload schema version 1.
/// </summary>
/// <param name="PackId">The pack id.</param>
/// <param name="Version">Semver.</param>
/// <param name="ContentHash">SHA-256 over the folder, signature file excluded.</param>
/// <param name="Exports">Exported contract assemblies.</param>
/// <param name="DependsOn">Contract assemblies it depends on.</param>
/// <param name="Source">Absolute folder path it is loaded from.</param>
/// <param name="PublisherKeyId">The verified publisher's key id, or <see langword="null"/>.</param>
/// <param name="PreviousContentHash">The content hash it replaced on an upgrade, else <see langword="null"/>.</param>
public sealed record PackInstalled(
    string PackId,
    string Version,
    string ContentHash,
    IReadOnlyList<string> Exports,
    IReadOnlyList<string> DependsOn,
    string Source,
    string? PublisherKeyId,
    string? PreviousContentHash);

/// <summary><c>core.PackRemoved</c>, on stream <c>core:pack-&lt;pack_id&gt;</c>. Payload schema version 1.</summary>
/// <param name="PackId">The pack id.</param>
/// <param name="ContentHash">The content hash that was installed.</param>
/// <param name="Reason">Why.</param>
public sealed record PackRemoved(string PackId, string ContentHash, string Reason);

/// <summary>Names of the pack install commands and events.</summary>
public static class PackInstallNames
{
    /// <summary><c>core.InstallPack</c>.</summary>
    public const string InstallPack = "core.InstallPack";

    /// <summary><c>core.RemovePack</c>.</summary>
    public const string RemovePack = "core.RemovePack";

    /// <summary><c>core.PackInstalled</c>.</summary>
    public const string PackInstalled = "core.PackInstalled";

    /// <summary><c>core.PackRemoved</c>.</summary>
    public const string PackRemoved = "core.PackRemoved";

    /// <summary>The target_ref (and stream key) of a pack: <c>pack-&lt;pack_id&gt;</c>.</summary>
    /// <param name="packId">The pack id.</param>
    /// <returns>The target.</returns>
    public static string TargetOf(string packId) => "pack-" + packId;
}
