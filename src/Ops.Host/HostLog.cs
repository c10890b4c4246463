using Microsoft.Extensions.Logging;

namespace Ops.Host;

/// <summary>Source-generated log messages of Ops.Host.</summary>
internal static partial class HostLog
{
    [LoggerMessage(1, LogLevel.Information, "Pack {PackId} {Version} loaded (content {Hash})")]
    public static partial void PackLoaded(ILogger logger, string packId, string version, string hash);

    [LoggerMessage(2, LogLevel.Error, "Pack {PackId} refused: {Reason}")]
    public static partial void PackRefused(ILogger logger, string packId, string reason);

    [LoggerMessage(3, LogLevel.Warning, "No packs folder at {Path}: running with core only")]
    public static partial void NoPacksFolder(ILogger logger, string path);

    [LoggerMessage(4, LogLevel.Error, "Projection catch-up failed; retrying at the next commit or poll")]
    public static partial void ProjectionCatchUpFailed(ILogger logger, Exception exception);

    [LoggerMessage(5, LogLevel.Error, "Unhandled error on {Path}")]
    public static partial void Unhandled(ILogger logger, string path, Exception exception);

    [LoggerMessage(6, LogLevel.Error, "Recording capability expiries failed; retrying in a minute")]
    public static partial void ExpiryRecordFailed(ILogger logger, Exception exception);

    [LoggerMessage(20, LogLevel.Warning, "Connector {Connector} failed: {Details}")]
    public static partial void ConnectorFailed(ILogger logger, string connector, string details);

    [LoggerMessage(21, LogLevel.Information, "Pack folder {Path} is not installed, so it was not loaded (packs install <folder>)")]
    public static partial void PackNotInstalled(ILogger logger, string path);

    [LoggerMessage(22, LogLevel.Warning, "Authentication failed from {Client}, key id {KeyId}: {ReasonCode}")]
    public static partial void AuthenticationFailed(ILogger logger, string client, string keyId, string reasonCode);
}
