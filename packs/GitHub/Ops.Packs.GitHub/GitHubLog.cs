using Microsoft.Extensions.Logging;

namespace Ops.Packs.GitHub;

internal static partial class GitHubLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "GitHub page {Url}: {Issues} issues, {PullRequests} pull requests skipped, last page: {Last}")]
    public static partial void PagePulled(ILogger logger, string url, int issues, int pullRequests, bool last);
}
