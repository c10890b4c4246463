using Microsoft.Extensions.Logging;

namespace Ops.Packs.GitHub;

internal static partial class GitHubLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "GitHub page {Url}: {Issues} issues, {PullRequests} pull requests skipped, last page: {Last}")]
    public static partial void PagePulled(ILogger logger, string url, int issues, int pullRequests, bool last);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "GitHub item quarantined in {Repository}: field {Field} {Problem} ({Detail})")]
    public static partial void Quarantined(ILogger logger, string repository, string field, string problem, string detail);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "GitHub issue {Issue} was transferred to {MovedTo}; recorded as gone from its repository")]
    public static partial void IssueMoved(ILogger logger, string issue, string movedTo);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "GitHub issue {Issue}: redirect refused ({Reason})")]
    public static partial void RedirectRefused(ILogger logger, string issue, string reason);
}
