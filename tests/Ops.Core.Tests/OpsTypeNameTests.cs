using Ops.Core.Naming;

namespace Ops.Core.Tests;

public sealed class OpsTypeNameTests
{
    [Theory]
    [InlineData("core.CapabilityGranted", nameof(TypeNameOwnerKind.Core), "core")]
    [InlineData("shared.refs.ExternalRefLinked", nameof(TypeNameOwnerKind.Shared), "refs")]
    [InlineData("pack.github.issues.IssueObserved", nameof(TypeNameOwnerKind.Pack), "github")]
    // The kind by name: TypeNameOwnerKind is internal, and a public test method cannot take it as a parameter.
    public void TryParse_ValidNames_ParsesOwner(string name, string kind, string owner)
    {
        Assert.True(OpsTypeName.TryParse(name, out var parsed, out var error), error);
        Assert.Equal(Enum.Parse<TypeNameOwnerKind>(kind), parsed.OwnerKind);
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
