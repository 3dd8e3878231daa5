using System.Diagnostics;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Torch.Models;
using TorchSharp;

namespace FedActors.Benchmarks.Overhead;

/// <summary>
/// The fixed costs a simulated run adds around the training steps, each measured on its own
/// (median of repeated calls on the calling thread) with the public APIs the trainer and the
/// coordinator build on.
/// </summary>
/// <param name="BuildModule">Building a module: what a training thread pays once per run for its workspace.</param>
/// <param name="LoadWeights">Copying the global model into a module: once per fit.</param>
/// <param name="SaveWeights">Copying a module out into new <see cref="Parameters"/>: once per fit.</param>
/// <param name="CreateOptimizer">Creating and disposing an SGD optimiser over the module's parameters: once per fit.</param>
/// <param name="ShuffleShard">Cloning and shuffling a shard's indices: once per fit and epoch.</param>
/// <param name="ValidateUpdates">Checking every update's layout and finiteness: once per round, all clients.</param>
/// <param name="Aggregate">FedAvg's weighted mean of every update: once per round, all clients.</param>
public sealed record FixedCostProfile(
    TimeSpan BuildModule,
    TimeSpan LoadWeights,
    TimeSpan SaveWeights,
    TimeSpan CreateOptimizer,
    TimeSpan ShuffleShard,
    TimeSpan ValidateUpdates,
    TimeSpan Aggregate)
{
    /// <summary>Measures every cost for <paramref name="model"/> with <paramref name="clients"/> updates per round.</summary>
    public static FixedCostProfile Measure(ModelKind model, Parameters global, int clients, int samplesPerClient, double learningRate)
    {
        using var module = ModelFactory.Create(model, seed: 1);
        var updates = Enumerable.Range(0, clients)
            .Select(_ => (Values: ParameterConverter.CopyOut(module), Weight: samplesPerClient))
            .ToList();
        var shard = Enumerable.Range(0, samplesPerClient).ToArray();
        var random = new Random(1);

        return new FixedCostProfile(
            BuildModule: Median(10, () => ModelFactory.Create(model, seed: 2).Dispose()),
            LoadWeights: Median(50, () => ParameterConverter.CopyIn(module, global)),
            SaveWeights: Median(50, () => GC.KeepAlive(ParameterConverter.CopyOut(module))),
            CreateOptimizer: Median(50, () => torch.optim.SGD(module.parameters(), learningRate).Dispose()),
            ShuffleShard: Median(50, () => random.Shuffle((int[])shard.Clone())),
            ValidateUpdates: Median(20, () =>
            {
                foreach (var (values, _) in updates)
                {
                    Aggregation.RequireLayout(global.Layout, values);
                    GC.KeepAlive(values.AllFinite());
                }
            }),
            Aggregate: Median(20, () => GC.KeepAlive(Aggregation.WeightedMean(global.Layout, updates))));
    }

    /// <summary>The per-fit share: load, save, optimiser, shuffle, and one client's share of validation and aggregation.</summary>
    public TimeSpan PerFit(int clients) =>
        LoadWeights + SaveWeights + CreateOptimizer + ShuffleShard + (ValidateUpdates + Aggregate) / clients;

    private static TimeSpan Median(int count, Action action)
    {
        action();
        var times = new double[count];
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(times);
        return TimeSpan.FromMilliseconds(times[count / 2]);
    }
}
