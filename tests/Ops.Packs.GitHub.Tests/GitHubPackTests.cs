using Ops.Packs.GitHub.Contracts;
using Ops.Testing;

namespace Ops.Packs.GitHub.Tests;

/// <summary>What the pack registers and shows.</summary>
public sealed class GitHubPackTests
{
    [Fact]
    public void GitHubPackAssembly_PublicTypes_AreOnlyTheEntryType()
    {
        Assert.Equal([typeof(GitHubPack)], typeof(GitHubPack).Assembly.GetExportedTypes());
    }

    [Fact]
    public async Task Register_DefaultConfiguration_RegistersEventProjectionQueryAndConnector()
    {
        await using var h = await KernelHarness.StartAsync([new GitHubPack()]);

        var registry = h.Kernel.Registry;
        Assert.Equal(typeof(IssueObserved), registry.Events[GitHubNames.IssueObservedEvent].PayloadType);
        Assert.Equal(1, registry.Events[GitHubNames.IssueObservedEvent].SchemaVersion);
        Assert.Equal(typeof(IssueDeleted), registry.Events[GitHubNames.IssueDeletedEvent].PayloadType);
        Assert.Equal(typeof(IssueQuarantined), registry.Events[GitHubNames.IssueQuarantinedEvent].PayloadType);
        Assert.Equal(2, registry.Projections[GitHubNames.IssueIndexProjection].Version);
        Assert.Equal("projections", registry.Projections[GitHubNames.IssueIndexProjection].ResourceKind);
        Assert.Equal(GitHubNames.IssuesByStateAndLabelQuery, registry.Queries["github/issues-by-state-and-label"].Name);
        Assert.Equal("github", registry.Connectors[GitHubNames.IssuesConnectorId].Owner);
        Assert.IsType<IssuesConnector>(registry.Connectors[GitHubNames.IssuesConnectorId].Create());
    }
}
