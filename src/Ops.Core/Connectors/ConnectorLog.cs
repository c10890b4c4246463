using Microsoft.Extensions.Logging;

namespace Ops.Core.Connectors;

internal static partial class ConnectorLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Connector {Connector} page {Page}: {Observed} observed, {Appended} appended, {Conflicts} conflicts")]
    public static partial void Page(ILogger logger, string connector, int page, int observed, int appended, int conflicts);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Connector {Connector} tombstone sweep: {Candidates} candidates, {Rechecked} re-fetched, {Tombstones} tombstones")]
    public static partial void Sweep(ILogger logger, string connector, int candidates, int rechecked, int tombstones);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Connector {Connector} cursor reset by {Actor} (capability {Capability}): {Reason}")]
    public static partial void Reset(ILogger logger, string connector, string actor, string? capability, string reason);
}
