using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/StaticNets.Benchmarks -- [--quick] [BenchmarkDotNet options]
// --quick uses BenchmarkDotNet's ShortRun job (a few minutes for the whole suite).
bool quick = args.Contains("--quick");
string[] rest = args.Where(a => a != "--quick").ToArray();
IConfig config = DefaultConfig.Instance;
if (quick) config = config.AddJob(Job.ShortRun);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest.Length == 0 ? ["--filter", "*"] : rest, config);
