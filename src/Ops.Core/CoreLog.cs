using Microsoft.Extensions.Logging;

namespace Ops.Core;

/// <summary>Source-generated log messages of Ops.Core.</summary>
internal static partial class CoreLog
{
    [LoggerMessage(1, LogLevel.Error, "Log batch of {Count} could not commit; nothing of it was written")]
    public static partial void BatchCommitFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(2, LogLevel.Information, "Command {CommandType} {CommandId} {Status}")]
    public static partial void CommandDecided(ILogger logger, string commandType, string commandId, string status);

    [LoggerMessage(3, LogLevel.Information, "Projection {Projection} v{Version} rebuilt from the log: {Events} events")]
    public static partial void ProjectionRebuilt(ILogger logger, string projection, int version, long events);

    [LoggerMessage(4, LogLevel.Error, "Projection {Projection} failed at position {Position}; its documents and checkpoint stay as they were")]
    public static partial void ProjectionFailed(ILogger logger, string projection, long position, Exception exception);

    [LoggerMessage(5, LogLevel.Information, "Connector {Connector}: page {Page}, {Observed} observed, {Appended} appended")]
    public static partial void ConnectorPage(ILogger logger, string connector, int page, int observed, int appended);

    [LoggerMessage(6, LogLevel.Warning, "Route {Kind} uses {Provider}: LAB ONLY, not durable")]
    public static partial void LabRoute(ILogger logger, string kind, string provider);

    [LoggerMessage(7, LogLevel.Warning, "Egress request {RequestId} to {Destination}, attempt {Attempt}: the handler threw {ExceptionType}; it will be dispatched again")]
    public static partial void EgressDispatchThrew(ILogger logger, string requestId, string destination, int attempt, string exceptionType);

    [LoggerMessage(8, LogLevel.Warning, "Egress request {RequestId}: no handler is registered for {CommandType} (pack removed?); it stays dispatched until its lease ends")]
    public static partial void EgressHandlerMissing(ILogger logger, string requestId, string commandType);

    [LoggerMessage(9, LogLevel.Error, "Egress dispatcher round failed; it tries again after the poll interval")]
    public static partial void EgressRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(10, LogLevel.Error, "Egress request {RequestId} was held, not sent: its outbox row differs from the log ({Difference}); run 'log verify'")]
    public static partial void EgressRowAltered(ILogger logger, string requestId, string difference);

    [LoggerMessage(40, LogLevel.Error, "Projection {Projection} of pack {Pack} parked at position {Position} after its fold threw {ErrorType}; the other projections go on. Resume it with 'projections resume {Projection}' after a fix")]
    public static partial void ProjectionParked(ILogger logger, string projection, string pack, long position, string errorType);

    [LoggerMessage(41, LogLevel.Error, "Pack {Pack} threw {ErrorType} in {Handler}; nothing was changed")]
    public static partial void PackFault(ILogger logger, string pack, string handler, string errorType, Exception exception);

    [LoggerMessage(11, LogLevel.Warning, "Egress request {RequestId} to {Destination}: the compensation hook threw {ExceptionType}; it is compensated again when its lease ends")]
    public static partial void EgressCompensationThrew(ILogger logger, string requestId, string destination, string exceptionType);

    [LoggerMessage(12, LogLevel.Warning, "Egress request {RequestId} to {Destination}: the compensation answered {StatusCode} and may succeed later; it is compensated again when its lease ends")]
    public static partial void EgressCompensationDeferred(ILogger logger, string requestId, string destination, int statusCode);

    [LoggerMessage(42, LogLevel.Warning, "Egress request {RequestId} to {Destination} failed: status {StatusCode}, {Detail}; its compensation is claimed")]
    public static partial void EgressFailed(ILogger logger, string requestId, string destination, int statusCode, string detail);
}
