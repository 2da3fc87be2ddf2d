using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Environments;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains;
using BenchmarkDotNet.Toolchains.NativeAot;

// dotnet run -c Release --project benchmarks/StaticNets.AotBenchmarks -- [--quick] [BenchmarkDotNet options]
// One run, three builds of the same benchmark: the JIT (which uses every instruction set the machine has), NativeAOT
// as published by default (x86-64-v2 on x64: SSE4.2, no AVX), and NativeAOT for this machine (IlcInstructionSet=native).
// Each job builds and runs in its own process; the NativeAOT ones need clang or gcc (see the README).
bool quick = args.Contains("--quick");
string[] rest = args.Where(a => a != "--quick").ToArray();
Job baseJob = quick ? Job.ShortRun : Job.Default;
IToolchain Aot(string instructionSet) => NativeAotToolchain.CreateBuilder().UseNuGet().IlcInstructionSet(instructionSet)
    .TargetFrameworkMoniker("net10.0").DisplayName(instructionSet.Length == 0 ? "NativeAOT default" : $"NativeAOT {instructionSet}").ToToolchain();
IConfig config = DefaultConfig.Instance
    .AddJob(baseJob.WithRuntime(CoreRuntime.Core10_0).WithId("JIT").AsBaseline())
    .AddJob(baseJob.WithRuntime(NativeAotRuntime.Net10_0).WithToolchain(Aot("")).WithId("NativeAOT default"))
    .AddJob(baseJob.WithRuntime(NativeAotRuntime.Net10_0).WithToolchain(Aot("native")).WithId("NativeAOT native"))
    .AddColumn(StatisticColumn.Median, StatisticColumn.Min)
    .WithOption(ConfigOptions.JoinSummary, true);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest.Length == 0 ? ["--filter", "*"] : rest, config);
