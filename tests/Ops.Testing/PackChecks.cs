using Mono.Cecil;
using Ops.Verification;

namespace Ops.Testing;

/// <summary>
/// The worker's install-time checks (docs/pack-authoring.md, "What the install checks refuse, and why"), run
/// in a test: the same rule set the host runs at <c>packs install</c> and at every load, not a copy of it.
/// </summary>
public static class PackChecks
{
    /// <summary>
    /// Every install check on a built pack folder, as <c>Ops.Host packs verify &lt;folder&gt;</c> runs them: the
    /// manifest, the entry and exported assemblies, a signature when <c>pack.sig</c> is present (no publisher is
    /// trusted here, so a signed folder fails the signature check), and the rules on every assembly the pack's load
    /// context would load. Reads the folder; changes nothing.
    /// </summary>
    /// <param name="folder">The pack folder: the implementation project's build output, with <c>pack.json</c>.</param>
    /// <returns>What the checks found.</returns>
    public static PackCheckResult VerifyFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var verification = new PackVerifier(PackSigningOptions.None).Verify(folder);
        return new PackCheckResult(verification.Findings.Select(Violation).ToList(), verification.AssembliesChecked);
    }

    /// <summary>
    /// The rules on a pack's own assemblies, wherever they were built (for example a test project's output, which
    /// also holds the test framework and so is not a pack folder), judged with the manifest's <c>exports</c> and
    /// <c>depends_on</c>.
    /// </summary>
    /// <param name="manifestPath">The pack's <c>pack.json</c>.</param>
    /// <param name="assemblyPaths">The pack's assemblies: its implementation, its contract module and any private dependency it ships, for example <c>typeof(MyPack).Assembly.Location</c>.</param>
    /// <returns>What the rules found.</returns>
    /// <exception cref="InvalidDataException">The manifest is not a valid pack manifest.</exception>
    public static PackCheckResult VerifyAssemblies(string manifestPath, params string[] assemblyPaths)
    {
        ArgumentException.ThrowIfNullOrEmpty(manifestPath);
        ArgumentNullException.ThrowIfNull(assemblyPaths);
        var manifest = PackManifest.Read(manifestPath);
        var modules = assemblyPaths.Select(p => (Path: p, Module: ModuleDefinition.ReadModule(p, PackRules.ReaderParameters))).ToList();
        try
        {
            var own = modules.Select(m => m.Module.Assembly.Name.Name).ToHashSet(StringComparer.Ordinal);
            var context = new PackAssemblyContext(manifest.PackId, manifest.Exports.ToHashSet(StringComparer.Ordinal), manifest.DependsOn.ToHashSet(StringComparer.Ordinal), own);
            var findings = new List<PackViolation>();
            foreach (var (path, module) in modules)
            {
                findings.AddRange(PackRules.Check(module, context, Path.GetFileName(path)).Select(Violation));
            }

            return new PackCheckResult(findings, [.. own.Order(StringComparer.Ordinal)]);
        }
        finally
        {
            foreach (var (_, module) in modules)
            {
                module.Dispose();
            }
        }
    }

    private static PackViolation Violation(PackFinding finding) => new(finding.Rule, finding.Message, finding.TypeName, finding.Dependency);
}

/// <summary>What <see cref="PackChecks"/> found.</summary>
public sealed class PackCheckResult
{
    internal PackCheckResult(IReadOnlyList<PackViolation> violations, IReadOnlyList<string> assembliesChecked)
    {
        Violations = violations;
        AssembliesChecked = assembliesChecked;
    }

    /// <summary>Every reason the host would refuse the pack; empty when it would install it.</summary>
    public IReadOnlyList<PackViolation> Violations { get; }

    /// <summary>The assemblies (simple names) the rules ran on.</summary>
    public IReadOnlyList<string> AssembliesChecked { get; }

    /// <summary>Whether the host would install the pack.</summary>
    public bool Passed => Violations.Count == 0;

    /// <summary>Throws when a check failed.</summary>
    /// <exception cref="PackSpecException">At least one violation; the message lists each with its rule.</exception>
    public void ThrowIfFailed()
    {
        if (!Passed)
        {
            throw new PackSpecException($"the host would refuse this pack:{Environment.NewLine}{ToString()}");
        }
    }

    /// <summary>One line per violation, <c>[rule] message</c>; or a line saying that every check passed.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        Passed
            ? $"every check passed on {string.Join(", ", AssembliesChecked)}"
            : string.Join(Environment.NewLine, Violations.Select(v => $"[{v.Rule}] {v.Message}"));
}

/// <summary>One reason the host would refuse a pack.</summary>
/// <param name="Rule">The rule id, as docs/pack-authoring.md lists them ("What the install checks refuse"): for example <c>manifest</c>, <c>not-on-allow-list</c>, <c>no-core-internals</c>, <c>no-file-system</c>, <c>no-clock-or-randomness</c>, <c>no-threads</c>, <c>no-reflection</c>, <c>no-async-void</c>, <c>declared-contracts</c>.</param>
/// <param name="Message">What is wrong, naming the type and the forbidden dependency, and what to do where there is something to do.</param>
/// <param name="TypeName">The offending type (nested types with '+'), when a type is at fault.</param>
/// <param name="Dependency">The forbidden type, member or assembly, when there is one.</param>
public sealed record PackViolation(string Rule, string Message, string? TypeName, string? Dependency);
