using System.CommandLine;
using System.Globalization;
using Ops.Core.Hosting;
using Ops.Core.Projections;
using Ops.Host.Edge;

namespace Ops.Host.Cli;

/// <summary>
/// <c>projections list | verify [name] [--repair] | rebuild [name] | resume name --reason text</c>: projection documents sit outside
/// the log's hash chain, so <c>verify</c> rebuilds each projection in memory from the log and compares
/// state hashes (tenant and mode included), naming every projection that differs and its first
/// differing document. It repairs nothing unless asked: <c>--repair</c> or <c>rebuild</c> rebuilds
/// explicitly. Exit codes: 0 all match, 1 a difference was found (even when repaired) or a failure,
/// 2 usage error.
/// </summary>
internal static class ProjectionsCli
{
    public static Command Command(TextWriter output, TextWriter error, Func<TextWriter, Func<OpsSession, Task<int>>, Task<int>> withKernel)
    {
        var list = new Command("list", "List registered projections: owner, version, tenancy, routed resource kind and lag behind the log head.");
        list.SetAction((parse, ct) => withKernel(error, async kernel =>
        {
            var parked = (await kernel.Admin.ParkedProjectionsAsync(ct)).ToDictionary(p => p.Projection, StringComparer.Ordinal);
            foreach (var projection in await CliLists.OrNoneAsync(output, kernel.Runtime.Catalog.Projections, "no projections are registered"))
            {
                var lag = await kernel.Admin.ProjectionLagAsync(projection.Name, ct);
                var state = parked.TryGetValue(projection.Name, out var park) && park.Version == projection.Version ? "  " + Parked(park) : string.Empty;
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{projection.Name}  owner={projection.Owner}  v{projection.Version}  tenancy={projection.Tenancy}  route={projection.ResourceKind}  lag={lag}{state}"));
            }

            return 0;
        }));

        var resumeName = new Argument<string>("name") { Description = "The parked projection." };
        var resumeReason = new Option<string>("--reason") { Description = "Why it is resumed, recorded in the log (for example the fix that was installed).", Required = true };
        var resume = new Command("resume", "Lift the park of a projection whose fold threw, and fold it up to the log's head at once; if it throws again it is parked again, on the record.") { resumeName, resumeReason };
        resume.SetAction((parse, ct) => withKernel(error, async kernel =>
        {
            var result = await kernel.Admin.ResumeProjectionAsync(parse.GetValue(resumeName)!, parse.GetValue(resumeReason)!, ct);
            if (result.ParkedAgain is { } again)
            {
                await error.WriteLineAsync($"ops: {again.Projection} threw again and is parked: {Parked(again)}. Its documents were not changed past that event; fix the pack and resume again.");
                return EdgeReasons.Refused;
            }

            await output.WriteLineAsync(result.Lifted is { } lifted
                ? string.Create(CultureInfo.InvariantCulture, $"RESUMED  {lifted.Projection}: parked at position {lifted.Position}, now folded to the log's head.")
                : $"NOT PARKED  {parse.GetValue(resumeName)}: nothing was recorded; it is folded to the log's head.");
            return 0;
        }));

        var verifyName = new Argument<string?>("name") { Description = "One projection (default: every registered projection).", Arity = ArgumentArity.ZeroOrOne };
        var repair = new Option<bool>("--repair") { Description = "Rebuild each projection that differs from the log (explicitly; the exit code stays 1)." };
        var verify = new Command("verify", "Rebuild each projection in memory from the log up to its checkpoint and compare state hashes with the stored documents. Exit 1 when any differs.") { verifyName, repair };
        verify.SetAction((parse, ct) => withKernel(error, kernel => GuardAsync(error, async () =>
        {
            if (!TrySelect(kernel, parse.GetValue(verifyName), error, out var names))
            {
                return 1;
            }

            var differing = new List<string>();
            foreach (var name in names)
            {
                var result = await kernel.Admin.VerifyProjectionAsync(name, ct);
                await output.WriteLineAsync(Describe(result));
                if (result.Status == ProjectionVerificationStatus.Differs)
                {
                    differing.Add(name);
                }
            }

            if (differing.Count == 0)
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"OK: {names.Count} projection(s) checked, none differs from the log."));
                return 0;
            }

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{differing.Count} of {names.Count} projection(s) differ from the log: {string.Join(", ", differing)}."));
            if (!parse.GetValue(repair))
            {
                await output.WriteLineAsync("Nothing was changed. Rebuild from the log with 'projections rebuild <name>' or 'projections verify --repair'.");
                return 1;
            }

            foreach (var name in differing)
            {
                await output.WriteLineAsync($"REBUILT  {name} from the log: state hash now {await kernel.Admin.RebuildProjectionAsync(name, ct)}.");
            }

            return 1;
        })));

        var rebuildName = new Argument<string?>("name") { Description = "One projection (default: every registered projection).", Arity = ArgumentArity.ZeroOrOne };
        var rebuild = new Command("rebuild", "Drop a projection's documents and fold the whole log into it again, in canonical order.") { rebuildName };
        rebuild.SetAction((parse, ct) => withKernel(error, kernel => GuardAsync(error, async () =>
        {
            if (!TrySelect(kernel, parse.GetValue(rebuildName), error, out var names))
            {
                return 1;
            }

            foreach (var name in names)
            {
                await output.WriteLineAsync($"REBUILT  {name} from the log: state hash {await kernel.Admin.RebuildProjectionAsync(name, ct)}.");
            }

            return 0;
        })));

        return new Command("projections", "List, verify, rebuild and resume projections (constitution A6: rebuildable read models).") { list, verify, rebuild, resume };
    }

    /// <summary>A fold that throws stops the command with its message; documents and checkpoint stay as they were.</summary>
    private static async Task<int> GuardAsync(TextWriter error, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (ProjectionFailedException ex)
        {
            return await CliErrors.ReportAsync(error, ex);
        }
    }

    private static bool TrySelect(OpsSession kernel, string? name, TextWriter error, out IReadOnlyList<string> names)
    {
        var all = kernel.Runtime.Catalog.Projections.Select(p => p.Name).ToList();
        if (name is null)
        {
            names = all;
            return true;
        }

        names = [name];
        if (all.Contains(name, StringComparer.Ordinal))
        {
            return true;
        }

        error.WriteLine($"ops: no projection '{name}' is registered; registered: {(all.Count == 0 ? "none" : string.Join(", ", all))}. Nothing was changed.");
        return false;
    }

    private static string Parked(OpsParkedProjection park) =>
        string.Create(CultureInfo.InvariantCulture, $"PARKED at position {park.Position} ({park.EventType}): its fold threw {park.ErrorType}; resume with 'projections resume {park.Projection} --reason ...'");

    private static string Describe(ProjectionVerification result) => result.Status switch
    {
        ProjectionVerificationStatus.Match => string.Create(CultureInfo.InvariantCulture, $"OK       {result.Projection} v{result.Version}: {result.StoredDocuments} document(s) at position {result.Position} match the log (state hash {result.StoredHash})."),
        ProjectionVerificationStatus.Differs => string.Create(CultureInfo.InvariantCulture, $"DIFFERS  {result.Projection} v{result.Version} at position {result.Position}: first difference {result.FirstDifference}. Stored state hash {result.StoredHash} ({result.StoredDocuments} document(s)), rebuilt from the log {result.RebuiltHash} ({result.RebuiltDocuments} document(s))."),
        ProjectionVerificationStatus.NotBuilt => string.Create(CultureInfo.InvariantCulture, $"SKIPPED  {result.Projection} v{result.Version}: no checkpoint ({result.StoredDocuments} document(s) stored); the next catch-up rebuilds it from the log before any read."),
        _ => string.Create(CultureInfo.InvariantCulture, $"SKIPPED  {result.Projection} v{result.Version}: its checkpoint was written by v{result.StoredVersion}; the next catch-up rebuilds it from the log before any read."),
    };
}
