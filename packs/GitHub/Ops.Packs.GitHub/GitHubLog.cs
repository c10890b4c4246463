using Microsoft.Extensions.Logging;

namespace Ops.Packs.GitHub;

internal static partial class GitHubLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "GitHub page {Url}: {Issues} issues, {PullRequests} pull requests skipped, last page: {Last}")]
    public static partial void PagePulled(ILogger logger, string url, int issues, int pullRequests, bool last);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "GitHub item quarantined in {Repository}: field {Field} {Problem} ({Detail})")]
    public static partial void Quarantined(ILogger logger, string repository, string field, string problem, string detail);

    // One value each: the pack allow-list has LoggerMessage.Define's delegates for one value and for four, not for two.
    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "GitHub issue transferred ({Move}); recorded as gone from its repository")]
    public static partial void IssueMoved(ILogger logger, string move);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "GitHub redirect refused and quarantined: {Detail}")]
    public static partial void RedirectRefused(ILogger logger, string detail);
}
