using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Ops.Benchmarks;

/// <summary>
/// dotnet run -c Release --project bench/Ops.Benchmarks -- --filter '*' [--short]
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        var shortRun = args.Contains("--short");
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Where(a => a != "--short").ToArray(), Config(shortRun));
    }

    /// <summary>
    /// In-process (the benchmarks call Ops.Core internals, visible to this assembly only), memory
    /// diagnoser on. The job is BenchmarkDotNet's default one, or with --short its ShortRun (3 warm-ups,
    /// 3 iterations), which is what docs/performance.md records.
    /// </summary>
    public static IConfig Config(bool shortRun) =>
        ManualConfig.Create(DefaultConfig.Instance)
            .AddJob((shortRun ? Job.ShortRun : Job.Default).WithToolchain(InProcessEmitToolchain.Instance).AsDefault())
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
}
