using Microsoft.Extensions.DependencyInjection;
using Ops.Core.Packs;
using Ops.Packs.GitHub.Contracts;

namespace Ops.Packs.GitHub;

/// <summary>
/// The github pack: an ingress-only connector for a repository's issues, an issue index projection
/// and a query over it. Configuration: <c>Ops:Packs:github</c> (BaseUrl, Repository, PerPage,
/// HtmlBaseUrl, RateLimitMaxWaitSeconds, RateLimitMaxRetries); the token is the kernel's secret <c>github_token</c>, which the pack never reads.
/// The pack's only public type: the entry type its pack.json names, created by the host.
/// </summary>
public sealed class GitHubPack : IOpsPack
{
    public void Register(IPackBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = GitHubOptions.Bind(builder.Configuration, out var errors);
        if (errors.Count > 0)
        {
            throw new PackLoadException(builder.PackId, "invalid configuration: " + string.Join(" ", errors));
        }

        builder.Services.AddSingleton(options);
        builder
            .AddEvent<IssueObserved>(GitHubNames.IssueObservedEvent, schemaVersion: 1)
            .AddEvent<IssueDeleted>(GitHubNames.IssueDeletedEvent, schemaVersion: 1)
            .AddEvent<IssueQuarantined>(GitHubNames.IssueQuarantinedEvent, schemaVersion: 1)
            .AddProjection<IssueDocument>(GitHubNames.IssueIndexProjection, IssueIndexProjection.Version)
            .AddQuery<IssuesByStateAndLabel, IssuesByStateAndLabelResult>(GitHubNames.IssuesByStateAndLabelQuery, GitHubNames.IssuesByStateAndLabelRoute)
            .AddConnector<IssuesConnector>(GitHubNames.IssuesConnectorName);
        AddLabelsFeature.Register(builder);
    }
}
