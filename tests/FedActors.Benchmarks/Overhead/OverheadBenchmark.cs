using System.Diagnostics;
using System.Globalization;
using Akka.Configuration;
using FedActors.Core.Protocol;
using FedActors.Core.Simulation;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Torch.Data;
using FedActors.Torch.Models;
using FedActors.Torch.Partitioning;
using FedActors.Torch.Training;
using TorchSharp;

namespace FedActors.Benchmarks.Overhead;

/// <summary>
/// The <c>overhead</c> command: for each model, warms the three variants up once, measures them
/// interleaved <c>--repeat</c> times, and prints the medians, the ratios to the plain loop, and
/// where the simulation's extra time goes.
/// </summary>
public static class OverheadBenchmark
{
    /// <summary>The issue's targets: the simulation with sequential clients, and with two parallel clients, over the plain loop.</summary>
    public const double SequentialTarget = 1.05;

    /// <inheritdoc cref="SequentialTarget"/>
    public const double ParallelTarget = 0.60;

    /// <summary>Runs the command and writes its report to <paramref name="output"/>.</summary>
    public static async Task RunAsync(OverheadOptions options, TextWriter output)
    {
        // Before the first tensor operation: OpenMP reads its thread count when libtorch loads.
        TorchRuntime.Initialize(threadsPerClient: 1);
        torch.set_num_threads(1);

        var clock = Stopwatch.StartNew();
        var sampleCount = options.Clients * options.SamplesPerClient;
        var data = FashionMnist.Load(FashionMnist.DefaultDirectory, trainLimit: sampleCount, testLimit: 1).Train;
        var shards = PartitionerFactory.Create("iid", options.Seed).Partition(data.Labels, options.Clients);
        if (shards.Any(s => s.Length != options.SamplesPerClient))
        {
            throw new InvalidOperationException("the IID split did not give every client the same number of samples");
        }

        var clients = Enumerable.Range(0, options.Clients).Select(i => new ClientId($"client-{i:D3}")).ToList();
        int[] allSamples = [.. shards.SelectMany(s => s)];

        output.WriteLine("FedActors overhead bench: simulated FedAvg (actors) vs a plain TorchSharp loop over the same samples");
        output.WriteLine(
            $"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, TorchSharp {typeof(torch).Assembly.GetName().Version}, " +
            $"libtorch threads per training thread: {torch.get_num_threads()}, server GC: {System.Runtime.GCSettings.IsServerGC}");
        foreach (var model in options.Models)
        {
            await MeasureModelAsync(options, model, data, clients, shards, allSamples, output).ConfigureAwait(false);
        }

        output.WriteLine($"total bench time {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task MeasureModelAsync(
        OverheadOptions options,
        ModelKind model,
        LabeledImages data,
        List<ClientId> clients,
        int[][] shards,
        int[] allSamples,
        TextWriter output)
    {
        var rounds = options.RoundsFor(model);
        var initial = ModelFactory.InitialParameters(model, options.Seed);
        var factory = new TorchTrainerFactory(model, data, clients, shards);
        var passes = rounds * options.Epochs;

        // One part runs on this thread; several run on one new thread each, at the same time.
        RunMeasurement Plain(int passCount, params int[][] parts)
        {
            var before = GcCounters.Now();
            var cpuBefore = CpuCounters.Now();
            var start = Stopwatch.GetTimestamp();
            var losses = new double[parts.Length];
            var busy = new TimeSpan[parts.Length];
            void Train(int part)
            {
                var partStart = Stopwatch.GetTimestamp();
                losses[part] = PlainLoop.Train(model, initial, data, parts[part], passCount, options.BatchSize, options.LearningRate, options.Seed);
                busy[part] = Stopwatch.GetElapsedTime(partStart);
            }

            if (parts.Length == 1)
            {
                Train(0);
            }
            else
            {
                var threads = Enumerable.Range(0, parts.Length).Select(i => new Thread(() => Train(i)) { IsBackground = true }).ToList();
                threads.ForEach(t => t.Start());
                threads.ForEach(t => t.Join());
            }

            var wall = Stopwatch.GetElapsedTime(start);
            var (ownCpu, othersCpu) = CpuCounters.Delta(cpuBefore, CpuCounters.Now());
            var gc = GcCounters.Delta(before, GcCounters.Now());
            var inFits = busy.Aggregate(TimeSpan.Zero, (x, y) => x + y);
            return new RunMeasurement(wall, inFits, TimeSpan.Zero, wall, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, 0, TimeSpan.Zero, TimeSpan.Zero,
                gc.Pause, gc.Gen0, gc.Gen1, gc.Gen2, gc.Allocated / 1e6, ownCpu, othersCpu, losses.Average());
        }

        Task<RunMeasurement> Simulated(int parallelism, int roundCount, IReadOnlyList<ClientId> who) =>
            RunSimulationAsync(options, parallelism, roundCount, who, factory, initial);

        var loadBefore = LoadAverage();
        output.WriteLine();
        output.WriteLine(
            $"== {model.ToConfigName()} ({initial.Length:N0} parameters): {options.Clients} clients x {options.SamplesPerClient} samples, " +
            $"batch {options.BatchSize}, {options.Epochs} local epoch(s), {rounds} rounds, lr {options.LearningRate.ToString(CultureInfo.InvariantCulture)}, " +
            $"fraction-fit 1.0, no central evaluation");
        output.WriteLine(
            $"   per run: {(long)allSamples.Length * passes:N0} samples in {allSamples.Length / options.BatchSize * passes:N0} batches of {options.BatchSize} " +
            $"(plain loop: {passes} shuffled passes over the {allSamples.Length:N0} samples of the clients' shards)");
        output.WriteLine($"   load average before: {loadBefore}");

        // Warm-up: JIT, libtorch's kernels and allocator, Akka's types. One round of two clients
        // is enough for that (two, so that both training threads of (c) have work).
        var warm = Stopwatch.StartNew();
        var warmClients = clients.Take(2).ToList();
        Plain(1, [.. shards.Take(2).SelectMany(s => s)]);
        Plain(1, shards[0], shards[1]);
        await Simulated(1, 1, warmClients).ConfigureAwait(false);
        await Simulated(2, 1, warmClients).ConfigureAwait(false);
        output.WriteLine($"   warm-up {warm.Elapsed.TotalSeconds:F1} s; measuring {options.Repeat} x (a, b, c) interleaved...");

        var a = new List<RunMeasurement>();
        var b = new List<RunMeasurement>();
        var c = new List<RunMeasurement>();
        var d = new List<RunMeasurement>();
        var threadReport = new System.Text.StringBuilder();
        Dictionary<int, (string Name, double Seconds)> ShowThreads(string variant, Dictionary<int, (string Name, double Seconds)> before, bool show)
        {
            var now = ThreadCpu.Snapshot();
            if (show)
            {
                threadReport.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"     {variant}: {string.Join(", ", ThreadCpu.Delta(before, now).Take(6).Select(t => $"{t.Name} x{t.Threads} {t.Seconds:F2}"))}"));
            }

            return ThreadCpu.Snapshot();
        }

        var half = (clients.Count + 1) / 2;
        int[][] halves = [[.. shards.Take(half).SelectMany(s => s)], [.. shards.Skip(half).SelectMany(s => s)]];
        for (var i = 0; i < options.Repeat; i++)
        {
            var last = i == options.Repeat - 1;
            var threads = ThreadCpu.Snapshot();
            a.Add(Plain(passes, allSamples));
            threads = ShowThreads("a", threads, last);
            b.Add(await Simulated(1, rounds, clients).ConfigureAwait(false));
            threads = ShowThreads("b", threads, last);
            c.Add(await Simulated(2, rounds, clients).ConfigureAwait(false));
            threads = ShowThreads("c", threads, last);
            d.Add(Plain(passes, halves));
            ShowThreads("d", threads, last);
        }

        var loadAfter = LoadAverage();
        output.WriteLine("   CPU s by thread name in the last repetition, threads still alive after the run (a simulation's training");
        output.WriteLine("   threads end with its actor system and may be missing; Linux cuts names to 15 characters):");
        output.Write(threadReport);
        Report.Results(output, (long)allSamples.Length * passes, a, b, c, d, loadAfter);
        if (options.Profile)
        {
            var profile = FixedCostProfile.Measure(model, initial, options.Clients, options.SamplesPerClient, options.LearningRate);
            Report.FixedCosts(output, profile, options.Clients, rounds, a);
        }
    }

    private static async Task<RunMeasurement> RunSimulationAsync(
        OverheadOptions options,
        int parallelism,
        int rounds,
        IReadOnlyList<ClientId> clients,
        TorchTrainerFactory factory,
        Parameters initial)
    {
        var config = ConfigurationFactory.ParseString(string.Create(CultureInfo.InvariantCulture, $$"""
            fedactors {
              run { rounds = {{rounds}}, seed = {{options.Seed}} }
              server {
                min-available-clients = {{clients.Count}}
                min-fit-clients = {{clients.Count}}
                fraction-fit = 1.0
                round-timeout = 600s
              }
              training {
                local-epochs = {{options.Epochs}}
                batch-size = {{options.BatchSize}}
                learning-rate = {{options.LearningRate}}
                parallelism = {{parallelism}}
                torch-threads = 1
              }
            }
            akka { loglevel = WARNING, stdout-loglevel = WARNING }
            """));
        var log = new FitLog();
        var setup = new SimulationSetup(clients, log.Timed<ClientId>(factory.Create), initial, new FedAvg(), CentralEvaluator: null);
        long lastRound = 0;

        var before = GcCounters.Now();
        var cpuBefore = CpuCounters.Now();
        var start = Stopwatch.GetTimestamp();
        var outcome = await InProcessSimulation.RunAsync(config, setup, _ => Volatile.Write(ref lastRound, Stopwatch.GetTimestamp())).ConfigureAwait(false);
        var end = Stopwatch.GetTimestamp();
        var (ownCpu, othersCpu) = CpuCounters.Delta(cpuBefore, CpuCounters.Now());
        var gc = GcCounters.Delta(before, GcCounters.Now());
        if (!outcome.Succeeded)
        {
            throw new InvalidOperationException($"the simulation failed: {outcome.FailureReason}");
        }

        var fits = log.Fits;
        var firstStart = fits.Min(f => f.Start);
        var lastEnd = fits.Max(f => f.End);
        var inFits = TimeSpan.Zero;
        foreach (var fit in fits)
        {
            inFits += Stopwatch.GetElapsedTime(fit.Start, fit.End);
        }

        var byThread = fits.GroupBy(f => f.Thread).Select(g => g.OrderBy(f => f.Start).ToList()).ToList();
        var firsts = byThread.Select(t => Stopwatch.GetElapsedTime(t[0].Start, t[0].End)).ToList();
        var others = byThread.SelectMany(t => t.Skip(1)).Select(f => Stopwatch.GetElapsedTime(f.Start, f.End)).ToList();

        return new RunMeasurement(
            Wall: Stopwatch.GetElapsedTime(start, end),
            InFits: inFits,
            StartUp: Stopwatch.GetElapsedTime(start, firstStart),
            FitSpan: Stopwatch.GetElapsedTime(firstStart, lastEnd),
            LastRound: Stopwatch.GetElapsedTime(lastEnd, lastRound),
            ShutDown: Stopwatch.GetElapsedTime(lastRound, end),
            Aggregation: outcome.History.Aggregate(TimeSpan.Zero, (sum, r) => sum + r.Timings.Aggregate),
            TrainerCreation: log.TrainerCreation,
            Fits: fits.Count,
            FirstFits: firsts.Aggregate(TimeSpan.Zero, (x, y) => x + y) / firsts.Count,
            OtherFits: others.Count == 0 ? TimeSpan.Zero : others.Aggregate(TimeSpan.Zero, (x, y) => x + y) / others.Count,
            GcPause: gc.Pause,
            Gen0: gc.Gen0,
            Gen1: gc.Gen1,
            Gen2: gc.Gen2,
            AllocatedMb: gc.Allocated / 1e6,
            OwnCpu: ownCpu,
            OthersCpu: othersCpu,
            FinalLoss: outcome.History[^1].TrainLoss ?? double.NaN);
    }

    /// <summary>The 1, 5 and 15 minute load averages, as the kernel reports them.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
