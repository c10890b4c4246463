using Ops.Core.Naming;

namespace Ops.Core.Tests;

public sealed class OpsTypeNameTests
{
    [Theory]
    [InlineData("core.CapabilityGranted", TypeNameOwnerKind.Core, "core")]
    [InlineData("shared.refs.ExternalRefLinked", TypeNameOwnerKind.Shared, "refs")]
    [InlineData("pack.github.issues.IssueObserved", TypeNameOwnerKind.Pack, "github")]
    public void TryParse_ValidNames_ParsesOwner(string name, TypeNameOwnerKind kind, string owner)
    {
        Assert.True(OpsTypeName.TryParse(name, out var parsed, out var error), error);
        Assert.Equal(kind, parsed.OwnerKind);
        Assert.Equal(owner, parsed.Owner);
    }

    [Theory]
    [InlineData("")]
    [InlineData("IssueObserved")]
    [InlineData("core.issues.IssueObserved")]
    [InlineData("pack.github.IssueObserved")]
    [InlineData("pack.GitHub.issues.IssueObserved")]
    [InlineData("pack.github.issues.issueObserved")]
    [InlineData("shared.IssueObserved")]
    [InlineData("other.github.issues.IssueObserved")]
    public void TryParse_InvalidNames_ExplainsWhy(string name)
    {
        Assert.False(OpsTypeName.TryParse(name, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void IsOwnedByPack_NameOfAnotherPack_Refused()
    {
        Assert.True(OpsTypeName.IsOwnedByPack("pack.notes.notes.CreateNote", "notes", out _));
        Assert.False(OpsTypeName.IsOwnedByPack("pack.github.issues.IssueObserved", "notes", out var error));
        Assert.Contains("pack.notes.", error, StringComparison.Ordinal);
        Assert.False(OpsTypeName.IsOwnedByPack("core.CapabilityGranted", "notes", out _));
    }
}
