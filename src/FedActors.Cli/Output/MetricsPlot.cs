using FedActors.Core.Metrics;
using FedActors.Core.Strategies;
using ScottPlot;

namespace FedActors.Cli.Output;

/// <summary>
/// Writes metrics.png: accuracy (left axis, 0 to 1) and loss (right axis) per round: centralised
/// test, training, and federated (the clients' held-out data) when it ran, with a legend; under central DP also epsilon per round and, with adaptive clipping, the clip norm, each on an axis of its own. Needs a system font (fonts-dejavu-core): without one all text vanishes.
/// </summary>
internal static class MetricsPlot
{
    /// <summary>Image size in pixels.</summary>
    public const int Width = 1000, Height = 600;

    /// <summary>Renders the plot of <paramref name="rounds"/> (one record per round) to a PNG file.</summary>
    public static void Write(IReadOnlyList<RoundRecord> rounds, string title, string path)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("round");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.Left.Label.Text = "accuracy";
        plot.Axes.Right.Label.Text = "loss";

        AddSeries(plot, rounds, r => r.TestAccuracy, "test accuracy", Colors.Blue, plot.Axes.Left, LinePattern.Solid);
        AddSeries(plot, rounds, r => r.TrainAccuracy, "train accuracy", Colors.Blue, plot.Axes.Left, LinePattern.Dashed);
        AddSeries(plot, rounds, r => r.Federated?.Accuracy, "federated accuracy", Colors.Green, plot.Axes.Left, LinePattern.Solid);
        AddSeries(plot, rounds, r => r.TestLoss, "test loss", Colors.OrangeRed, plot.Axes.Right, LinePattern.Solid);
        AddSeries(plot, rounds, r => r.Federated?.Loss, "federated loss", Colors.Green, plot.Axes.Right, LinePattern.Dotted);
        AddSeries(plot, rounds, r => r.TrainLoss, "train loss", Colors.OrangeRed, plot.Axes.Right, LinePattern.Dashed);

        // Central DP: epsilon so far on an axis of its own, and the clip norm on another when it adapts.
        if (rounds.Any(r => Epsilon(r) is not null))
        {
            var epsilonAxis = plot.Axes.AddRightAxis();
            var guaranteed = rounds.Any(r => r.Metrics.ContainsKey(DpFedAvg.EpsilonMetric));
            epsilonAxis.LabelText = guaranteed ? "epsilon" : "epsilon (seeded, no guarantee)";
            AddSeries(plot, rounds, Epsilon, epsilonAxis.LabelText, Colors.Purple, epsilonAxis, LinePattern.Solid);
            if (rounds.Where(r => r.Metrics.ContainsKey(DpFedAvg.ClipMetric)).Select(r => r.Metrics[DpFedAvg.ClipMetric]).Distinct().Count() > 1)
            {
                var clipAxis = plot.Axes.AddRightAxis();
                clipAxis.LabelText = "clip norm C";
                AddSeries(plot, rounds, r => r.Metrics.TryGetValue(DpFedAvg.ClipMetric, out var c) ? c : null, "clip norm C", Colors.Gray, clipAxis, LinePattern.Dashed);
            }
        }

        plot.Axes.AutoScale();
        plot.Axes.SetLimitsY(0, 1, plot.Axes.Left);
        foreach (var extra in plot.Axes.GetAxes().OfType<IYAxis>().Where(a => a != plot.Axes.Left && a != plot.Axes.Right))
        {
            // epsilon and C start at 0, so that their growth reads at a glance
            extra.Range.Set(0, Math.Max(extra.Range.Max, 1e-9) * 1.05);
        }

        var lastRound = rounds.Count == 0 ? 1 : Math.Max(1, rounds.Max(r => r.Round.Value));
        plot.Axes.SetLimitsX(0, lastRound);
        plot.ShowLegend(Alignment.MiddleRight);
        plot.SavePng(path, Width, Height);
    }

    private static double? Epsilon(RoundRecord r) =>
        r.Metrics.TryGetValue(DpFedAvg.EpsilonMetric, out var e) || r.Metrics.TryGetValue(DpFedAvg.UnguaranteedEpsilonMetric, out e) ? e : null;

    private static void AddSeries(Plot plot, IReadOnlyList<RoundRecord> rounds, Func<RoundRecord, double?> value, string label, Color color, IYAxis axis, LinePattern pattern)
    {
        var points = rounds
            .Select(r => (X: (double)r.Round.Value, Y: value(r)))
            .Where(p => p.Y is { } y && double.IsFinite(y))
            .ToList();
        if (points.Count == 0)
        {
            return;
        }

        var scatter = plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y!.Value).ToArray(), color);
        scatter.LegendText = label;
        scatter.LinePattern = pattern;
        scatter.LineWidth = 2;
        scatter.MarkerSize = 6;
        scatter.Axes.YAxis = axis;
    }
}
