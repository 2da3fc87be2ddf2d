using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using StaticNets.Benchmarks.Peers;

// dotnet run -c Release --project benchmarks/StaticNets.Benchmarks -- [--quick] [BenchmarkDotNet options]
// --phases prints where an MLP epoch's time goes, phase by phase: batch 128 on 1 and 2 threads, batch 32 on 1 (no
// BenchmarkDotNet run).
// --quick uses BenchmarkDotNet's ShortRun job (a few minutes for the whole suite). Benchmarks run in this
// process, whose output folder holds the TorchSharp native library patched for this Debian (see LibTorchSharpFix).
// Median and Min stand beside the Mean: this 2-core VM has outlier iterations that move the Mean between runs.
try
{
    LibTorchSharpFix.EnsureLoadable();
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 1;
}
if (args.Contains("--phases"))
{
    StaticNets.Benchmarks.PhaseReport.Run(Console.Out);
    return 0;
}
bool quick = args.Contains("--quick");
string[] rest = args.Where(a => a != "--quick").ToArray();
Job job = (quick ? Job.ShortRun : Job.Default).WithToolchain(InProcessEmitToolchain.Instance);
IConfig config = DefaultConfig.Instance.AddJob(job).AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.OperationsPerSecond)
    .WithOption(ConfigOptions.JoinSummary, true);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest.Length == 0 ? ["--filter", "*"] : rest, config);
return 0;
