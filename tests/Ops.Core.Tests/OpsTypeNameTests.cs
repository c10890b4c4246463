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
        var parse = OpsTypeName.Parse(name);
        Assert.Null(parse.Problem);
        Assert.Equal(Enum.Parse<TypeNameOwnerKind>(kind), parse.Name!.Value.OwnerKind);
        Assert.Equal(owner, parse.Name.Value.Owner);
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
        var parse = OpsTypeName.Parse(name);
        Assert.Null(parse.Name);
        Assert.False(string.IsNullOrEmpty(parse.Problem));
    }

    [Fact]
    public void IsOwnedByPack_NameOfAnotherPack_Refused()
    {
        Assert.Null(OpsTypeName.OwnershipProblem("pack.notes.notes.CreateNote", "notes"));
        Assert.Contains("pack.notes.", OpsTypeName.OwnershipProblem("pack.github.issues.IssueObserved", "notes"), StringComparison.Ordinal);
        Assert.NotNull(OpsTypeName.OwnershipProblem("core.CapabilityGranted", "notes"));
    }
}
