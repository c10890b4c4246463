using Ops.Architecture.Tests.Layout;
using Ops.Architecture.Tests.Rules;

namespace Ops.Architecture.Tests;

/// <summary>
/// DESIGN.md §7 (seed 004): every class that commits state declares its authority class, and writes
/// only the tables it declares. Over Ops.Core, and Ops.Shared and Ops.Host where they exist (packs may
/// not write at all: PackIsolationTests).
/// </summary>
public sealed class AuthorityTests
{
    [DiscoveredTheory(Discovered.KernelAssemblies)]
    [MemberData(nameof(Discovery.KernelAssemblies), MemberType = typeof(Discovery))]
    public void Kernel_WritesState_OnlyUnderDeclaredAuthority(string assembly)
    {
        var result = ArchitectureRules.KernelWritesOnlyUnderDeclaredAuthority(Repository.KernelAssemblies[assembly]);

        Assert.True(result.IsSuccessful, result.Explain(assembly));
    }

    [Fact]
    public void Kernel_WritesState_OnlyUnderDeclaredAuthority_FailsOnPlantedViolation()
    {
        var result = ArchitectureRules.KernelWritesOnlyUnderDeclaredAuthority(PlantedViolations.RogueWriter);

        Assert.False(result.IsSuccessful);
        // DeclaredWriter, UpsertWriter (ON CONFLICT DO UPDATE), ReadOnlyQuery and CopyReader (COPY ... TO) keep the rule.
        Assert.Equal(
            [
                "ArchViolations.RogueWriter.CopyWriter",
                "ArchViolations.RogueWriter.MergeWriter",
                "ArchViolations.RogueWriter.OverreachingWriter",
                "ArchViolations.RogueWriter.QualifiedOverreachingWriter",
                "ArchViolations.RogueWriter.RawCopyWriter",
                "ArchViolations.RogueWriter.ReturningInsert",
                "ArchViolations.RogueWriter.RogueWriter",
                "ArchViolations.RogueWriter.SplitOverreachingWriter",
                "ArchViolations.RogueWriter.TruncateWriter",
                "System.Hidden.HiddenWriter",
            ],
            result.FailingTypeNames);
        var explained = result.Explain("ArchViolations.RogueWriter");
        Assert.Contains("writes table command_outcomes", explained, StringComparison.Ordinal);
        Assert.Contains("NpgsqlConnection.BeginTextImport", explained, StringComparison.Ordinal);
        // The schema is not the table: dbo.projection_documents is declared, [dbo].[events] is not.
        Assert.Contains("QualifiedOverreachingWriter writes table events, which", explained, StringComparison.Ordinal);
        Assert.DoesNotContain("writes table dbo", explained, StringComparison.Ordinal);
        Assert.DoesNotContain("QualifiedOverreachingWriter writes table projection_documents", explained, StringComparison.Ordinal);
        Assert.Contains("System.Hidden.HiddenWriter writes (System.Data.Common.DbCommand.ExecuteNonQuery) but declares no [Authority]", explained, StringComparison.Ordinal);
    }
}
