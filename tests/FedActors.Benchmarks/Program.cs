using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using FedActors.Benchmarks.Overhead;
using FedActors.Benchmarks.Scale;
using FedActors.Benchmarks.Wire;

namespace FedActors.Benchmarks;

/// <summary>
/// Entry point of the bench commands. <c>overhead</c> compares a simulated FedAvg run with a plain
/// TorchSharp loop over the same samples (see README.md); <c>scale</c> measures many registered
/// clients with a pure C# trainer; <c>wire</c> compares the cluster's wire with a TCP socket;
/// <c>micro</c> hands the remaining
/// arguments to BenchmarkDotNet's switcher for the micro benchmarks in this assembly.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        try
        {
            switch (args[0])
            {
                case "overhead":
                    var options = OverheadOptions.Parse(args.AsSpan(1));
                    if (options is null)
                    {
                        Console.WriteLine(OverheadOptions.Help);
                        return 0;
                    }

                    await OverheadBenchmark.RunAsync(options, Console.Out).ConfigureAwait(false);
                    return 0;
                case "scale":
                    var scale = ScaleOptions.Parse(args.AsSpan(1));
                    if (scale is null)
                    {
                        Console.WriteLine(ScaleOptions.Help);
                        return 0;
                    }

                    await ScaleBenchmark.RunAsync(scale, Console.Out).ConfigureAwait(false);
                    return 0;
                case "round-split":
                    var split = RoundSplit.RoundSplitOptions.Parse(args.AsSpan(1));
                    if (split is null)
                    {
                        Console.WriteLine(RoundSplit.RoundSplitOptions.Help);
                        return 0;
                    }

                    await RoundSplit.RoundSplitBenchmark.RunAsync(split, Console.Out).ConfigureAwait(false);
                    return 0;
                case "wire":
                    var wire = WireOptions.Parse(args.AsSpan(1));
                    if (wire is null)
                    {
                        Console.WriteLine(WireOptions.Help);
                        return 0;
                    }

                    await WireBenchmark.RunAsync(wire, Console.Out).ConfigureAwait(false);
                    return 0;
                case "cluster-round":
                    var round = ClusterRoundOptions.Parse(args.AsSpan(1));
                    if (round is null)
                    {
                        Console.WriteLine(ClusterRoundOptions.Help);
                        return 0;
                    }

                    await ClusterRoundBenchmark.RunAsync(round, Console.Out).ConfigureAwait(false);
                    return 0;
                case "micro":
                    // In process: a separately generated and built project would not inherit the
                    // repository's build settings and would need its own copy of libtorch.
                    var config = ManualConfig.Create(DefaultConfig.Instance)
                        .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
                        .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
                    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args[1..], config);
                    return 0;
                default:
                    Console.Error.WriteLine($"unknown command '{args[0]}'");
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    private const string Usage = """
        usage: dotnet run -c Release --project tests/FedActors.Benchmarks -- <command> [options]

        commands:
          overhead   simulated FedAvg (actors) vs a plain TorchSharp loop over the same samples;
                     `overhead --help` lists its options
          scale      N registered clients with a pure C# trainer: registration, the round's split, memory;
                     `scale --help` lists its options
          round-split  where a FedAvg round's time goes on Fashion-MNIST (Fit, central evaluation, the rest);
                     `round-split --help` lists its options
          wire       a model-sized message through the cluster's real path vs a plain TCP socket, on loopback;
                     `wire --help` lists its options
          cluster-round  rounds of a large model (25 M parameters by default) across client nodes on
                     loopback: the round's split and any unreachable node; `cluster-round --help`
          micro      BenchmarkDotNet micro benchmarks (aggregation, parameter copies);
                     options after `micro` go to BenchmarkDotNet, e.g. `micro --filter '*'`
        """;
}
