using ScottPlot;

namespace FedActors.Cli.Output;

/// <summary>
/// Writes results.png: the test accuracy per round, one line per (strategy, partition) averaged
/// over its seeds; a colour per strategy and a line pattern per partition. Needs a system font
/// (fonts-dejavu-core), as <see cref="MetricsPlot"/> does.
/// </summary>
internal static class BenchmarkPlot
{
    /// <summary>Image size in pixels: wider than metrics.png, for the legend to the right of the curves.</summary>
    public const int Width = 1300, Height = 700;

    private static readonly LinePattern[] Patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];

    /// <summary>Renders <paramref name="rows"/> to a PNG file.</summary>
    public static void Write(IReadOnlyList<BenchmarkRow> rows, string path)
    {
        var plot = new Plot();
        plot.Title("Fashion-MNIST: test accuracy per round, mean over seeds");
        plot.XLabel("round");
        plot.YLabel("test accuracy (%)");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };

        var palette = new ScottPlot.Palettes.Category10();
        var strategies = rows.Select(r => r.Strategy).Distinct().ToList();
        var partitions = rows.Select(r => r.Partition).Distinct().ToList();
        foreach (var row in rows)
        {
            var curve = row.MeanCurve;
            if (curve.Count == 0)
            {
                continue;
            }

            var line = plot.Add.Scatter(curve.Select(p => (double)p.Round).ToArray(), curve.Select(p => p.Accuracy * 100).ToArray(), palette.GetColor(strategies.IndexOf(row.Strategy)));
            line.LegendText = $"{row.Strategy}, {row.Partition} ({row.Seeds.Count} seed{(row.Seeds.Count == 1 ? string.Empty : "s")})";
            line.LinePattern = Patterns[partitions.IndexOf(row.Partition) % Patterns.Length];
            line.LineWidth = 2;
            line.MarkerSize = 0;
        }

        plot.Axes.AutoScale();
        var lastRound = rows.SelectMany(r => r.Seeds).SelectMany(s => s.Rounds).Select(r => r.Round).DefaultIfEmpty(1).Max();
        plot.Axes.SetLimitsX(1, Math.Max(2, lastRound));
        // From the tens below the lowest point to 100%, so that close curves stay apart.
        var lowest = rows.SelectMany(r => r.MeanCurve).Select(p => p.Accuracy * 100).DefaultIfEmpty(0).Min();
        plot.Axes.SetLimitsY(Math.Max(0, Math.Floor((lowest - 1) / 10) * 10), 100);
        plot.ShowLegend(Edge.Right);
        plot.SavePng(path, Width, Height);
    }
}
