using System.Globalization;

namespace FedActors.Benchmarks.Overhead;

/// <summary>The tables the <c>overhead</c> command prints.</summary>
internal static class Report
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The main table (medians and ratios) and the breakdown of the simulation's time.</summary>
    /// <param name="output">Where to write.</param>
    /// <param name="samplesPerRun">Training samples processed per run (all variants alike).</param>
    /// <param name="a">The plain loop's runs.</param>
    /// <param name="b">The sequential simulation's runs.</param>
    /// <param name="c">The two-thread simulation's runs.</param>
    /// <param name="d">The reference for (c): two plain loops at once, each over half the clients' samples.</param>
    /// <param name="loadAfter">The load average after the measurements.</param>
    public static void Results(TextWriter output, long samplesPerRun, List<RunMeasurement> a, List<RunMeasurement> b, List<RunMeasurement> c, List<RunMeasurement> d, string loadAfter)
    {
        var plain = Median(a, m => m.Wall.TotalSeconds);
        output.WriteLine();
        output.WriteLine("   variant                              median s   min s   max s   samples/s   x (a)   paired   target   met   final loss");
        Row("(a) plain TorchSharp loop", a, null);
        Row("(b) simulation, parallelism 1", b, (OverheadBenchmark.SequentialTarget, "<= 1.05"));
        Row("(c) simulation, parallelism 2", c, (OverheadBenchmark.ParallelTarget, "<= 0.60"));
        Row("(d) 2 plain loops at once, half each", d, null);
        output.WriteLine("   (d) is no FedAvg: it shows how well this machine runs two training threads at once, without actors");
        output.WriteLine("   x (a): ratio of the medians; paired: median of the per-repetition ratios (robust to slowly drifting load)");
        output.WriteLine($"   load average after: {loadAfter}");
        output.WriteLine("   every repetition, wall s (this process's CPU s, other processes' CPU s):");
        for (var i = 0; i < a.Count; i++)
        {
            output.WriteLine(string.Create(Invariant, $"     {i + 1}: a {Rep(a[i])}   b {Rep(b[i])}   c {Rep(c[i])}   d {Rep(d[i])}"));
        }

        output.WriteLine();
        output.WriteLine("   where the time goes (medians over the repetitions, ms)            (a) plain    (b) p=1    (c) p=2   (d) 2 plain");
        Line("wall", m => m.Wall);
        Line("  start-up: run start -> first fit starts", m => m.StartUp, plainToo: false);
        Line("  fitting: first fit starts -> last fit ends", m => m.FitSpan);
        Line("    in Fit, summed over training threads", m => m.InFits);
        output.WriteLine(string.Create(Invariant,
            $"   {"    idle training-thread time (threads x span - in Fit)",-64} {"",10} {Median(b, m => (m.FitSpan - m.InFits).TotalMilliseconds),10:F1} {Median(c, m => (2 * m.FitSpan - m.InFits).TotalMilliseconds),10:F1} {Median(d, m => (2 * m.FitSpan - m.InFits).TotalMilliseconds),10:F1}"));
        Line("    aggregation, all rounds (on the coordinator)", m => m.Aggregation, plainToo: false);
        Line("  last round: last fit ends -> last round recorded", m => m.LastRound, plainToo: false);
        Line("  shut-down: last round recorded -> run returns", m => m.ShutDown, plainToo: false);
        output.WriteLine(string.Create(Invariant,
            $"   {$"in Fit minus plain loop, per fit ({b[0].Fits} fits per run)",-64} {"",10} {PerFit(b),10:F2} {PerFit(c),10:F2}"));
        Line("first fit on each training thread (mean)", m => m.FirstFits, plainToo: false);
        Line("other fits (mean)", m => m.OtherFits, plainToo: false);
        Line("trainer creation, all fits", m => m.TrainerCreation, plainToo: false, format: "F2");
        output.WriteLine($"   {"GC pause ms / collections gen0,gen1,gen2 / allocated MB",-64} {Gc(a),10} {Gc(b),10} {Gc(c),10} {Gc(d),10}");
        return;

        static string Rep(RunMeasurement m) => string.Create(
            Invariant, $"{m.Wall.TotalSeconds,7:F3} ({m.OwnCpu.TotalSeconds:F2}, {m.OthersCpu.TotalSeconds:F2})");

        double PerFit(List<RunMeasurement> runs) =>
            Median(runs, m => (m.InFits.TotalMilliseconds - Median(a, p => p.Wall.TotalMilliseconds)) / m.Fits);

        void Line(string label, Func<RunMeasurement, TimeSpan> value, bool plainToo = true, string format = "F1")
        {
            string Of(List<RunMeasurement> runs) => Median(runs, m => value(m).TotalMilliseconds).ToString(format, Invariant);
            output.WriteLine(string.Create(Invariant,
                $"   {label,-64} {(plainToo ? Of(a) : ""),10} {Of(b),10} {Of(c),10} {(plainToo ? Of(d) : ""),10}"));
        }

        string Gc(List<RunMeasurement> runs) => string.Create(Invariant,
            $"{Median(runs, m => m.GcPause.TotalMilliseconds):F0}/{Median(runs, m => m.Gen0):F0},{Median(runs, m => m.Gen1):F0},{Median(runs, m => m.Gen2):F0}/{Median(runs, m => m.AllocatedMb):F0}");

        void Row(string label, List<RunMeasurement> runs, (double Target, string Text)? target)
        {
            var median = Median(runs, m => m.Wall.TotalSeconds);
            var ratio = median / plain;
            var paired = Median([.. Enumerable.Range(0, runs.Count).Select(i => runs[i].Wall.TotalSeconds / a[i].Wall.TotalSeconds)], x => x);
            var met = target is { } t ? (ratio <= t.Target ? "yes" : "NO") : "";
            output.WriteLine(string.Create(Invariant,
                $"   {label,-36} {median,9:F3} {runs.Min(m => m.Wall.TotalSeconds),7:F3} {runs.Max(m => m.Wall.TotalSeconds),7:F3} " +
                $"{samplesPerRun / median,11:N0} {ratio,7:F3} {paired,8:F3} {target?.Text ?? "",8} {met,5} {Median(runs, m => m.FinalLoss),12:F4}"));
        }
    }

    /// <summary>The fixed costs measured on their own, and how they compare with the measured per-fit overhead.</summary>
    /// <param name="output">Where to write.</param>
    /// <param name="profile">The measured costs.</param>
    /// <param name="clients">Clients per round.</param>
    /// <param name="rounds">Rounds per run.</param>
    /// <param name="a">The plain loop's runs.</param>
    public static void FixedCosts(TextWriter output, FixedCostProfile profile, int clients, int rounds, List<RunMeasurement> a)
    {
        var plainPerFit = Median(a, m => m.Wall.TotalMilliseconds) / (clients * rounds);
        var perFit = profile.PerFit(clients).TotalMilliseconds;
        output.WriteLine();
        output.WriteLine("   fixed costs measured on their own (median, ms)");
        Cost("build a module (ModelWorkspace: once per training thread per run)", profile.BuildModule);
        Cost("load global weights into the module (per fit)", profile.LoadWeights);
        Cost("save module weights to new Parameters (per fit)", profile.SaveWeights);
        Cost("create + dispose the SGD optimiser (per fit)", profile.CreateOptimizer);
        Cost("clone + shuffle the shard's indices (per fit and epoch)", profile.ShuffleShard);
        Cost($"validate {clients} updates: layout + finiteness (per round)", profile.ValidateUpdates);
        Cost($"FedAvg weighted mean of {clients} updates (per round)", profile.Aggregate);
        output.WriteLine(string.Create(Invariant,
            $"   => {perFit:F2} ms per fit (load, save, optimiser, shuffle, 1/{clients} of validation and aggregation) " +
            $"against {plainPerFit:F2} ms of plain training per client-round: {100 * perFit / plainPerFit:F1} %"));
        return;

        void Cost(string label, TimeSpan value) =>
            output.WriteLine(string.Create(Invariant, $"   {label,-72} {value.TotalMilliseconds,9:F3}"));
    }

    private static double Median<T>(List<T> items, Func<T, double> value)
    {
        var sorted = items.Select(value).Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
