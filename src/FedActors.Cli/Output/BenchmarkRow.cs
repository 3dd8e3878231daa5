namespace FedActors.Cli.Output;

/// <summary>The mean of some values over seeds, with their sample standard deviation.</summary>
/// <param name="Count">How many values.</param>
/// <param name="Mean">Their mean.</param>
/// <param name="Std">Their sample standard deviation, sqrt(sum (x - mean)^2 / (n - 1)); null for a single value.</param>
internal readonly record struct SeedStatistic(int Count, double Mean, double? Std)
{
    /// <summary>The statistic of <paramref name="values"/>; null when there are none.</summary>
    public static SeedStatistic? Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var mean = values.Average();
        double? std = values.Count < 2 ? null : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return new SeedStatistic(values.Count, mean, std);
    }
}

/// <summary>One (strategy, partition) row of the benchmark: its seeds' cells.</summary>
/// <param name="Strategy">The strategy.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Seeds">Its cells, one per seed, in seed order.</param>
internal sealed record BenchmarkRow(string Strategy, string Partition, IReadOnlyList<CellResult> Seeds)
{
    /// <summary>The best test accuracy across rounds over the seeds (NIID-Bench's statistic).</summary>
    public SeedStatistic? Best => SeedStatistic.Of([.. Seeds.Select(s => s.Best?.TestAccuracy).OfType<double>()]);

    /// <summary>The last round's test accuracy over the seeds.</summary>
    public SeedStatistic? Final => SeedStatistic.Of([.. Seeds.Select(s => s.Final).OfType<double>()]);

    /// <summary>The rounds the seeds completed: one number, or the smallest and largest when they differ.</summary>
    public string RoundsText
    {
        get
        {
            var counts = Seeds.Select(s => s.Rounds.Count).Distinct().Order().ToList();
            return counts.Count == 1 ? $"{counts[0]}" : $"{counts[0]}-{counts[^1]}";
        }
    }

    /// <summary>The test accuracy per round averaged over the seeds that measured it.</summary>
    public IReadOnlyList<(int Round, double Accuracy)> MeanCurve =>
        [.. Seeds.SelectMany(s => s.Rounds)
            .Where(r => r.TestAccuracy is not null)
            .GroupBy(r => r.Round)
            .OrderBy(g => g.Key)
            .Select(g => (g.Key, g.Average(r => r.TestAccuracy!.Value)))];

    /// <summary>The rows of <paramref name="cells"/>, in the order their first cell appears.</summary>
    public static IReadOnlyList<BenchmarkRow> Of(IReadOnlyList<CellResult> cells) =>
        [.. cells.GroupBy(c => (c.Strategy, c.Partition)).Select(g => new BenchmarkRow(g.Key.Strategy, g.Key.Partition, [.. g.OrderBy(c => c.Seed)]))];
}
