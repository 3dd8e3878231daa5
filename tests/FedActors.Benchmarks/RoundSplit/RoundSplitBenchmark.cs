using System.Diagnostics;
using System.Globalization;
using Akka.Configuration;
using FedActors.Benchmarks.Overhead;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Simulation;
using FedActors.Core.Strategies;
using FedActors.Torch.Data;
using FedActors.Torch.Models;
using FedActors.Torch.Partitioning;
using FedActors.Torch.Training;

namespace FedActors.Benchmarks.RoundSplit;

/// <summary>
/// The <c>round-split</c> bench command (see <see cref="RoundSplitOptions.Help"/>): how much of a
/// round is training and central evaluation, and how much is the runtime around them.
/// </summary>
public static class RoundSplitBenchmark
{
    /// <summary>Issue 15's bound on the share of a round outside Fit and central evaluation (1,000 clients of 60 samples).</summary>
    public const double OutsideTarget = 0.30;

    public static async Task RunAsync(RoundSplitOptions options, TextWriter output)
    {
        // Before the first tensor operation: OpenMP reads its thread count when libtorch loads.
        TorchRuntime.Initialize(threadsPerClient: 1);
        var data = FashionMnist.Load(FashionMnist.DefaultDirectory);
        var clients = Enumerable.Range(0, options.Clients).Select(i => new ClientId($"client-{i:D6}")).ToList();
        var shards = PartitionerFactory.Create("iid", options.Seed).Partition(data.Train.Labels, options.Clients);
        var log = new FitLog();
        var factory = new TorchTrainerFactory(options.Model, data.Train, clients, shards);
        var setup = new SimulationSetup(
            clients,
            log.Timed<ClientId>(factory.Create),
            ModelFactory.InitialParameters(options.Model, options.Seed),
            new FedAvg(),
            new TorchCentralEvaluator(options.Model, data.Test, options.Parallelism));
        var config = ConfigurationFactory.ParseString(string.Create(CultureInfo.InvariantCulture, $$"""
            fedactors.run { rounds = {{options.Rounds}}, seed = {{options.Seed}} }
            fedactors.server {
              fraction-fit = {{options.PerRound / (double)options.Clients:R}}
              min-fit-clients = {{options.PerRound}}
              min-available-clients = {{options.PerRound}}
              registration-timeout = 600s
            }
            fedactors.training { parallelism = {{options.Parallelism}}, torch-threads = 1, learning-rate = 0.05 }
            akka { loglevel = WARNING, stdout-loglevel = WARNING }
            """));

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"round-split: {options.Model.ToConfigName()}, {options.Clients:N0} clients of ~{data.Train.Count / options.Clients} samples, {options.PerRound} per round, {options.Rounds} rounds, {options.Parallelism} training threads, lr 0.05, load average {OverheadBenchmark.LoadAverage()}"));
        output.WriteLine("round  total_ms  in_Fit_ms(/threads)  evaluate_ms  outside_ms  outside_%  sampling_ms  sending_ms  fit_phase_ms  aggregate_ms  accuracy");
        var split = new List<(int Round, RoundTimings Timings, TimeSpan InFitWall)>();
        var previous = TimeSpan.Zero;
        var outcome = await InProcessSimulation.RunAsync(config, setup, r =>
        {
            if (r.Round.Value == 0 || !r.Completed)
            {
                return;
            }

            var inFit = log.InFit;
            var wall = (inFit - previous) / options.Parallelism;
            previous = inFit;
            split.Add((r.Round.Value, r.Timings, wall));
            var outside = Outside(r.Timings, wall);
            if (r.Round.Value <= 5 || r.Round.Value % 10 == 0)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Round.Value,5}  {Ms(r.Timings.Total),8}  {Ms(wall),19}  {Ms(r.Timings.Evaluate),11}  {Ms(outside),10}  {outside / r.Timings.Total,9:P1}  {r.Timings.Sampling.TotalMilliseconds,11:F2}  {r.Timings.Sending.TotalMilliseconds,10:F2}  {Ms(r.Timings.Fit),12}  {r.Timings.Aggregate.TotalMilliseconds,12:F2}  {r.TestAccuracy,8:F4}"));
            }
        }).ConfigureAwait(false);
        if (!outcome.Succeeded)
        {
            throw new InvalidOperationException($"the run failed: {outcome.FailureReason}");
        }

        Summary("all rounds", split);
        Summary("rounds 2 on (round 1 builds each thread's module)", [.. split.Where(s => s.Round > 1)]);
        return;

        void Summary(string label, List<(int Round, RoundTimings Timings, TimeSpan InFitWall)> rounds)
        {
            TimeSpan Sum(Func<(int Round, RoundTimings Timings, TimeSpan InFitWall), TimeSpan> part) => rounds.Aggregate(TimeSpan.Zero, (sum, r) => sum + part(r));
            var total = Sum(r => r.Timings.Total);
            var inFit = Sum(r => r.InFitWall);
            var evaluate = Sum(r => r.Timings.Evaluate);
            var outside = Sum(r => Outside(r.Timings, r.InFitWall));
            string Share(TimeSpan part) => string.Create(CultureInfo.InvariantCulture, $"{part.TotalMilliseconds:F0} ms ({part / total:P1})");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{label}: {total.TotalMilliseconds:F0} ms; in Fit {Share(inFit)}, central evaluation {Share(evaluate)}, outside {Share(outside)} " +
                $"[target <= {OutsideTarget:P0}: {(outside / total <= OutsideTarget ? "met" : "missed")}]; of it sampling {Share(Sum(r => r.Timings.Sampling))}, " +
                $"sending {Share(Sum(r => r.Timings.Sending))}, aggregation {Share(Sum(r => r.Timings.Aggregate))}, " +
                $"training threads idle in the fit phase {Share(Sum(r => r.Timings.Fit - r.InFitWall))}"));
        }
    }

    // Everything in a round that is neither training nor central evaluation.
    private static TimeSpan Outside(RoundTimings t, TimeSpan inFitWall) => t.Total - t.Evaluate - inFitWall;

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture);
}
