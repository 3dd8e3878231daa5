using System.Globalization;
using System.Text;

namespace FedActors.Cli.Output;

/// <summary>
/// Writes results.md: one row per (strategy, partition) with the best test accuracy across
/// rounds as mean ± sample std over the seeds (NIID-Bench's statistic), the final round's the
/// same way, each seed's best and the rounds; then the published NIID-Bench figures next to the
/// measured ones for the rows that have them. Accuracies in percent.
/// </summary>
internal static class BenchmarkTable
{
    /// <summary>The header row of the measured table.</summary>
    public const string MeasuredHeader = "| strategy | partition | seeds | best accuracy (%) | final accuracy (%) | best per seed (%, round) | rounds |";

    /// <summary>The header row of the published-figures table.</summary>
    public const string PublishedHeader = "| strategy | partition | published best (%) | measured best (%) | seeds | measured - published (points) |";

    /// <summary>The measured table alone (header, alignment and rows), as the command also prints it.</summary>
    public static IReadOnlyList<string> MeasuredTable(IReadOnlyList<BenchmarkRow> rows) =>
    [
        MeasuredHeader,
        "| --- | --- | ---: | ---: | ---: | --- | ---: |",
        .. rows.Select(r => Row(
            r.Strategy, r.Partition, Count(r.Seeds.Count), Percent(r.Best), Percent(r.Final),
            string.Join(", ", r.Seeds.Select(s => s.Best is { } b ? $"{Count(s.Seed)}: {Percent(b.TestAccuracy!.Value)} (r{Count(b.Round)})" : $"{Count(s.Seed)}: -")),
            r.RoundsText)),
    ];

    /// <summary>The published-figures table: the rows that have a figure.</summary>
    public static IReadOnlyList<string> PublishedTable(IReadOnlyList<BenchmarkRow> rows) =>
    [
        PublishedHeader,
        "| --- | --- | ---: | ---: | ---: | ---: |",
        .. rows.Select(r => (Row: r, Figure: NiidBenchFigures.Find(r.Strategy, r.Partition)))
            .Where(x => x.Figure is not null && x.Row.Best is not null)
            .Select(x => Row(
                x.Row.Strategy, x.Row.Partition, $"{Fixed(x.Figure!.Mean)} ± {Fixed(x.Figure.Std)}", Percent(x.Row.Best), Count(x.Row.Best!.Value.Count),
                (x.Row.Best.Value.Mean * 100 - x.Figure.Mean).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture))),
    ];

    /// <summary>The file's text.</summary>
    public static string Render(BenchmarkResults results)
    {
        var rows = BenchmarkRow.Of(results.Cells);
        var settings = results.Cells.GroupBy(c => c.Setting).Select(g => $"`{g.Key}` ({Count(g.Count())} cells)");
        var text = new StringBuilder()
            .Append("# Convergence benchmark\n\n")
            .Append(CultureInfo.InvariantCulture, $"Fashion-MNIST, {Count(results.Cells.Count)} cells in this folder, written by `fedactors benchmark` (rebuilt from every cell present each time it runs; ")
            .Append("results.json holds every cell's test accuracy per round). Accuracy is the global model's on the test set after each round.\n\n")
            .Append("- **best accuracy**: each seed's highest test accuracy over its rounds (the statistic NIID-Bench reports), then the mean ± sample standard deviation (n - 1) over the seeds;\n")
            .Append("- **final accuracy**: the same for the last round's test accuracy;\n")
            .Append("- **best per seed**: each seed's best, with the first round that reached it.\n\n")
            .Append("Configurations: ").AppendJoin(", ", settings).Append(".\n\n")
            .AppendJoin('\n', MeasuredTable(rows)).Append("\n\n")
            .Append("## Against the published figures\n\n")
            .Append("Published: ").Append(NiidBenchFigures.Source).Append(". They were measured in the setting hocon/niid-bench.conf reproduces; cells run in another setting compare only loosely.\n\n");
        var published = PublishedTable(rows);
        return (published.Count > 2 ? text.AppendJoin('\n', published) : text.Append("No row in this folder has a published figure.")).Append('\n').ToString();
    }

    /// <summary>Writes the file to <paramref name="path"/>.</summary>
    public static void Write(BenchmarkResults results, string path) => File.WriteAllText(path, Render(results));

    private static string Row(params string[] cells) => "| " + string.Join(" | ", cells) + " |";

    private static string Percent(SeedStatistic? s) => s switch
    {
        null => "-",
        { Std: { } std } => $"{Percent(s.Value.Mean)} ± {Percent(std)}",
        _ => Percent(s.Value.Mean),
    };

    private static string Percent(double fraction) => Fixed(fraction * 100);

    private static string Fixed(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Count(int value) => value.ToString(CultureInfo.InvariantCulture);
}
