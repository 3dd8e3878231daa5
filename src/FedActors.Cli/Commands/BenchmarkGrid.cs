using System.Globalization;
using FedActors.Cli.Configuration;
using FedActors.Cli.Output;
using FedActors.Core.Strategies;

namespace FedActors.Cli.Commands;

/// <summary>One cell of the benchmark grid: a full simulation with one strategy, one partition and one seed.</summary>
/// <param name="Strategy">The value of <c>fedactors.strategy.name</c>.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Seed">The value of <c>fedactors.run.seed</c> (sampling, partitioning, initialisation, shuffling).</param>
internal sealed record BenchmarkCell(string Strategy, BenchmarkPartition Partition, int Seed)
{
    /// <summary>The cell's folder under the benchmark's output folder: <c>strategy/partition/seed-n</c>.</summary>
    public string Id => $"{Strategy}/{Partition.Name}/seed-{Seed.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The cell's output folder.</summary>
    public string Folder(string output) => Path.Combine(output, Strategy, Partition.Name, $"seed-{Seed.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>The keys the cell sets over <c>--config</c> and <c>--set</c>: strategy, partition, seed and output folder.</summary>
    public IReadOnlyList<ConfigOverride> Overrides(string output) =>
    [
        new("strategy.name", ConfigOverride.Quote(Strategy), $"--strategies {Strategy}"),
        .. Partition.Overrides($"--partitions {Partition.Name}"),
        new("run.seed", Seed.ToString(CultureInfo.InvariantCulture), $"--seeds {Seed.ToString(CultureInfo.InvariantCulture)}"),
        new("simulation.output-directory", ConfigOverride.Quote(Folder(output)), $"--output {output}"),
    ];
}

/// <summary>
/// The grid of <c>fedactors benchmark</c>: strategies x partitions x seeds, narrowed by
/// <c>--cell</c> filters, ordered so that the seeds of a (strategy, partition) row run one after
/// another and the rows of a partition together.
/// </summary>
internal static class BenchmarkGrid
{
    /// <summary>The seeds when <c>--seeds</c> is not given.</summary>
    public static IReadOnlyList<int> DefaultSeeds { get; } = [1, 2, 3];

    /// <summary>The cells to consider, in run order.</summary>
    /// <param name="strategies">The <c>--strategies</c> list (comma-separated); null for the strategies with published figures.</param>
    /// <param name="partitions">The <c>--partitions</c> list; null for the partitions with published figures.</param>
    /// <param name="seeds">The <c>--seeds</c> list; null for <see cref="DefaultSeeds"/>.</param>
    /// <param name="filters">The <c>--cell STRATEGY/PARTITION/SEED</c> filters (<c>*</c> matches anything); empty keeps every cell.</param>
    /// <exception cref="UsageException">A name or number is not valid, or a filter matches no cell; the message names it.</exception>
    public static IReadOnlyList<BenchmarkCell> Cells(string? strategies, string? partitions, string? seeds, IReadOnlyList<string> filters)
    {
        var strategyList = strategies is null ? NiidBenchFigures.Strategies : Items(strategies, "--strategies").Select(s => Strategy(s, "--strategies")).Distinct().ToList();
        var partitionList = (partitions is null ? NiidBenchFigures.Partitions : Items(partitions, "--partitions"))
            .Select(p => BenchmarkPartition.Parse(p, "--partitions")).Distinct().ToList();
        var seedList = seeds is null ? DefaultSeeds : Items(seeds, "--seeds").Select(s => Seed(s, "--seeds")).Distinct().ToList();
        var grid = (from partition in partitionList from strategy in strategyList from seed in seedList select new BenchmarkCell(strategy, partition, seed)).ToList();

        var parsed = filters.Select(Filter.Parse).ToList();
        foreach (var filter in parsed.Where(f => !grid.Any(f.Matches)))
        {
            throw new UsageException(
                $"--cell {filter.Text} matches no cell of the grid (strategies {string.Join(",", strategyList)}; "
                + $"partitions {string.Join(",", partitionList.Select(p => p.Name))}; seeds {string.Join(",", seedList)})");
        }

        return parsed.Count == 0 ? grid : grid.Where(c => parsed.Any(f => f.Matches(c))).ToList();
    }

    private static List<string> Items(string list, string option)
    {
        var items = list.Split(',', StringSplitOptions.TrimEntries);
        return items.Any(string.IsNullOrEmpty)
            ? throw new UsageException($"{option} '{list}' has an empty item; give names separated by commas, e.g. {option} a,b")
            : [.. items];
    }

    private static string Strategy(string name, string option) =>
        StrategyCatalog.Names.Contains(name)
            ? name
            : throw new UsageException($"unknown strategy '{name}' in {option}; the strategies are {string.Join(", ", StrategyCatalog.Names)}");

    private static int Seed(string text, string option) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seed)
            ? seed
            : throw new UsageException($"seed '{text}' in {option} is not a whole number");

    /// <summary>A <c>--cell</c> filter; a null part matches anything.</summary>
    private sealed record Filter(string Text, string? Strategy, string? Partition, int? Seed)
    {
        public static Filter Parse(string text)
        {
            var parts = text.Split('/', StringSplitOptions.TrimEntries);
            if (parts.Length != 3 || parts.Any(string.IsNullOrEmpty))
            {
                throw new UsageException($"--cell '{text}' must have the form STRATEGY/PARTITION/SEED, each part a name or *, e.g. --cell fedavg/dirichlet-0.5/1");
            }

            return new Filter(
                text,
                parts[0] == "*" ? null : BenchmarkGrid.Strategy(parts[0], "--cell"),
                parts[1] == "*" ? null : BenchmarkPartition.Parse(parts[1], "--cell").Name,
                parts[2] == "*" ? null : BenchmarkGrid.Seed(parts[2].StartsWith("seed-", StringComparison.Ordinal) ? parts[2]["seed-".Length..] : parts[2], "--cell"));
        }

        public bool Matches(BenchmarkCell cell) =>
            (Strategy is null || Strategy == cell.Strategy) && (Partition is null || Partition == cell.Partition.Name) && (Seed is null || Seed == cell.Seed);
    }
}
