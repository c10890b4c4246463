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
    bool Upgrade = false)
{
    /// <summary>
    /// Every file of the verified folder but <c>pack.sig</c>, by relative path with its SHA-256, in ordinal order; they
    /// hash to <see cref="ContentHash"/>. The loader loads only these files, by path, after they match (issue 16 item 3).
    /// <see langword="null"/> in a command that predates the list: the loader then checks the folder's content hash only.
    /// </summary>
    public IReadOnlyList<PackFileRecord>? Files { get; init; }

    /// <summary>
    /// One entry per name in <see cref="Exports"/>: the contract assembly's name, version, SHA-256 and file, which the kernel
    /// binds to this pack as its exporter (issue 16 item 4). <see langword="null"/> exactly when <see cref="Files"/> is.
    /// </summary>
    public IReadOnlyList<PackContractRecord>? Contracts { get; init; }
}

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
    string? PreviousContentHash)
{
    /// <summary>
    /// The files the loader may load, by relative path with their SHA-256 (pack.sig excluded), as verified at install
    /// (issue 16 item 3). <see langword="null"/> in a record written before the list existed: such a pack is loaded after
    /// the folder's content hash matches, as before.
    /// </summary>
    public IReadOnlyList<PackFileRecord>? Files { get; init; }

    /// <summary>The contract assemblies this pack exports, each with its name, version, SHA-256 and file (issue 16 item 4); <see langword="null"/> in older records.</summary>
    public IReadOnlyList<PackContractRecord>? Contracts { get; init; }
}

/// <summary>One file of an installed pack folder, as verified at install (issue 16 item 3).</summary>
/// <param name="Path">Relative path inside the folder, '/' separators.</param>
/// <param name="Sha256">SHA-256 of its bytes, 64 lowercase hex characters.</param>
public sealed record PackFileRecord(string Path, string Sha256)
{
    /// <summary>
    /// The content hash of a pack folder from its file list (constitution A7): SHA-256 over each file's relative path and
    /// SHA-256, one per line, in ordinal order of the path. The one definition the snapshot, the install handler and the
    /// loader share.
    /// </summary>
    /// <param name="files">The files, pack.sig excluded; any order.</param>
    /// <returns>64 lowercase hex characters.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="files"/> is null.</exception>
    public static string ContentHashOf(IEnumerable<PackFileRecord> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var listing = new System.Text.StringBuilder();
        foreach (var file in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            listing.Append(file.Path).Append('\n').Append(file.Sha256).Append('\n');
        }

        return Identity.ContentHash.Of(System.Text.Encoding.UTF8.GetBytes(listing.ToString()));
    }
}

/// <summary>A contract assembly a pack exports, as recorded at install; the kernel binds its name to that pack (issue 16 item 4).</summary>
/// <param name="Name">The assembly's simple name (<c>*.Contracts</c>).</param>
/// <param name="Version">The assembly version from its metadata, for example <c>1.0.0.0</c>.</param>
/// <param name="Sha256">SHA-256 of the file, 64 lowercase hex characters.</param>
/// <param name="Path">The file's relative path in the exporter's folder.</param>
public sealed record PackContractRecord(string Name, string Version, string Sha256, string Path)
{
    /// <summary>
    /// The contract registry the pack shipped for it (<c>&lt;contract&gt;.contract-registry.json</c>: the JSON Schemas of
    /// its commands, events and queries, checked against the assembly's metadata at install), or null when it shipped
    /// none. An upgrade is diffed against it (issue 16 item 5, constitution §4).
    /// </summary>
    public System.Text.Json.JsonElement? Registry { get; init; }
}

/// <summary>
/// Which installed pack a contract assembly's name is bound to: the first <c>core.PackInstalled</c> in log order that
/// exports it, until that pack is removed. The shared load context takes the contract only from this pack's recorded
/// file; any other pack exporting the name is refused (issue 16 item 4).
/// </summary>
/// <param name="Name">The contract assembly's simple name.</param>
/// <param name="ExporterPackId">The pack bound as its exporter.</param>
/// <param name="Version">The assembly version recorded at install, or <see langword="null"/> for an older record.</param>
/// <param name="Sha256">The file's SHA-256 recorded at install, or <see langword="null"/> for an older record.</param>
/// <param name="Path">The file's relative path in the exporter's folder, or <see langword="null"/> for an older record.</param>
public sealed record ContractBinding(string Name, string ExporterPackId, string? Version, string? Sha256, string? Path);

/// <summary>What the log records about installed packs before the kernel opens: the packs and the contract bindings.</summary>
/// <param name="Packs">The installed packs by id.</param>
/// <param name="Contracts">Contract bindings by contract assembly name.</param>
public sealed record InstalledPackSet(IReadOnlyDictionary<string, PackInstalled> Packs, IReadOnlyDictionary<string, ContractBinding> Contracts);

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
