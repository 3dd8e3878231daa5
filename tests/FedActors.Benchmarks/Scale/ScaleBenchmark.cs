using System.Diagnostics;
using System.Globalization;
using Akka.Configuration;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Simulation;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Benchmarks.Scale;

/// <summary>
/// The <c>scale</c> bench command (see <see cref="ScaleOptions.Help"/>): where the time and the
/// memory of a simulation with many registered clients go, with training itself made cheap.
/// </summary>
public static class ScaleBenchmark
{
    public static async Task RunAsync(ScaleOptions options, TextWriter output)
    {
        var layout = new ParameterLayout([new TensorSpec("w", [options.Parameters])]);
        var ids = Enumerable.Range(0, options.Clients).Select(i => new ClientId($"client-{i:D7}")).ToList();
        long fitTicks = 0;
        var clock = new Stopwatch();
        var firstFit = 0;
        long managedIdle = 0;
        (TimeSpan Wall, TimeSpan Cpu, TimeSpan Gc) atFirstFit = default;
        var setup = new SimulationSetup(
            ids,
            id =>
            {
                // The first trainer is made for round 1's first fit: every client has registered by then.
                if (Interlocked.Exchange(ref firstFit, 1) == 0)
                {
                    atFirstFit = (clock.Elapsed, Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalPauseDuration());

                    // Measured here, inside round 1's fit phase, not after round 1: the full
                    // collection pauses every thread, and it would land in round 2's sending.
                    managedIdle = GC.GetTotalMemory(forceFullCollection: true);
                }

                return new Timed(new QuadraticTrainer(id, options.SamplesPerClient), ticks => Interlocked.Add(ref fitTicks, ticks));
            },
            Parameters.Zeros(layout),
            new FedAvg(),
            CentralEvaluator: null);
        var config = ConfigurationFactory.ParseString(string.Create(CultureInfo.InvariantCulture, $$"""
            fedactors.run.rounds = {{options.Rounds}}
            fedactors.server.fraction-fit = {{options.PerRound / (double)options.Clients:R}}
            fedactors.server.min-fit-clients = {{options.PerRound}}
            fedactors.server.min-available-clients = {{options.PerRound}}
            fedactors.server.registration-timeout = 600s
            fedactors.training.batch-size = 10
            fedactors.training.learning-rate = 0.1
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            """));
        var managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        var (cpuBefore, gcBefore) = (Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalPauseDuration());
        clock.Start();
        var registered = TimeSpan.Zero;
        long previousFit = 0;
        output.WriteLine($"scale: {options.Clients:N0} clients, {options.PerRound} per round, {options.Rounds} rounds, {options.Parameters:N0} parameters, {options.SamplesPerClient} samples each");
        output.WriteLine("round  sampling_ms  sending_ms  fit_ms  in_Fit_ms  aggregate_ms  total_ms");
        using var progress = options.ProgressSeconds > 0 ? new Timer(_ => Progress(output, clock), null, TimeSpan.FromSeconds(options.ProgressSeconds), TimeSpan.FromSeconds(options.ProgressSeconds)) : null;
        var outcome = await InProcessSimulation.RunAsync(config, setup, r =>
        {
            if (r.Round.Value == 0 || !r.Completed)
            {
                return;
            }

            if (r.Round.Value == 1)
            {
                registered = clock.Elapsed - r.Timings.Total;
            }

            var fit = Interlocked.Read(ref fitTicks);
            var inFit = TimeSpan.FromTicks(fit - previousFit);
            previousFit = fit;
            var t = r.Timings;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Round.Value,5}  {t.Sampling.TotalMilliseconds,11:F2}  {t.Sending.TotalMilliseconds,10:F2}  {t.Fit.TotalMilliseconds,6:F1}  {inFit.TotalMilliseconds,9:F1}  {t.Aggregate.TotalMilliseconds,12:F2}  {t.Total.TotalMilliseconds,8:F1}"));
        }).ConfigureAwait(false);
        if (!outcome.Succeeded)
        {
            throw new InvalidOperationException($"the run failed: {outcome.FailureReason}");
        }

        var rounds = outcome.History.Where(r => r.Round.Value > 0 && r.Completed).Select(r => r.Timings).ToList();
        var total = Sum(rounds, t => t.Total);
        var trained = TimeSpan.FromTicks(Interlocked.Read(ref fitTicks));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            registration (start to round 1): {registered.TotalSeconds:F2} s for {options.Clients:N0} clients
            registration (start to the first fit): {atFirstFit.Wall.TotalSeconds:F2} s wall, {(atFirstFit.Cpu - cpuBefore).TotalSeconds:F2} s CPU, {(atFirstFit.Gc - gcBefore).TotalSeconds:F2} s of it in GC pauses
            managed heap with every client registered (measured at round 1's first fit, which it delays): {(managedIdle - managedBefore) / (double)options.Clients:F0} bytes per client ({managedIdle / 1048576.0:F0} MB in all)
            rounds: {total.TotalMilliseconds:F0} ms in all; sampling {Share(rounds, t => t.Sampling, total)}, sending {Share(rounds, t => t.Sending, total)}, fit phase {Share(rounds, t => t.Fit, total)}, aggregation {Share(rounds, t => t.Aggregate, total)}
            trainers' Fit: {trained.TotalMilliseconds:F0} ms of thread time (2 training threads)
            process: {Status("VmHWM")} peak RSS, {Status("VmRSS")} now
            """));
    }

    // Where registration's memory goes while it runs: allocation so far, the heap, collections, RSS.
    private static void Progress(TextWriter output, Stopwatch clock)
    {
        var info = GC.GetGCMemoryInfo();
        lock (output)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  [{clock.Elapsed.TotalSeconds,6:F1} s] allocated {GC.GetTotalAllocatedBytes() / 1048576.0,8:F0} MB, heap {GC.GetTotalMemory(false) / 1048576.0,6:F0} MB (committed {info.TotalCommittedBytes / 1048576.0:F0} MB, fragmented {info.FragmentedBytes / 1048576.0:F0} MB), gen0/1/2 collections {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}, pause {GC.GetTotalPauseDuration().TotalSeconds:F1} s, RSS {Status("VmRSS")}"));
        }
    }

    private static TimeSpan Sum(List<RoundTimings> rounds, Func<RoundTimings, TimeSpan> part) => rounds.Aggregate(TimeSpan.Zero, (sum, t) => sum + part(t));

    private static string Share(List<RoundTimings> rounds, Func<RoundTimings, TimeSpan> part, TimeSpan total) =>
        string.Create(CultureInfo.InvariantCulture, $"{Sum(rounds, part).TotalMilliseconds:F1} ms ({Sum(rounds, part) / total:P1})");

    private static string Status(string key) =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "?";

    /// <summary>Adds the wall time of each Fit to a counter.</summary>
    private sealed class Timed(ITrainer inner, Action<long> add) : ITrainer
    {
        public LocalFit Fit(FitTask task, CancellationToken cancellation)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                return inner.Fit(task, cancellation);
            }
            finally
            {
                add(Stopwatch.GetElapsedTime(started).Ticks);
            }
        }

        public Evaluation Evaluate(Parameters parameters, CancellationToken cancellation) => inner.Evaluate(parameters, cancellation);

        public void Dispose() => inner.Dispose();
    }
}
