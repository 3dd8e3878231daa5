#:package ScottPlot
// The privacy-utility figure from finished runs: test accuracy per round of each run (the label
// says its final epsilon), as a PNG, and a markdown table of final and best accuracy and epsilon.
// Usage: dotnet run scripts/privacy-utility.cs -- OUT.png LABEL=RUN_DIR [LABEL=RUN_DIR ...]
// The label may hold "=" (the last one separates it from the folder). Each RUN_DIR is a `fedactors simulate` output folder (its metrics.json). Needs a font package (fonts-dejavu-core).
using System.Globalization;
using System.Text.Json;
using ScottPlot;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: dotnet run scripts/privacy-utility.cs -- OUT.png LABEL=RUN_DIR [LABEL=RUN_DIR ...]");
    return 2;
}

var plot = new Plot();
plot.Title("Test accuracy per round: DP-FedAvg and the non-private run");
plot.XLabel("round");
plot.YLabel("test accuracy");
Color[] colors = [Colors.Black, Colors.Blue, Colors.Green, Colors.OrangeRed, Colors.Purple, Colors.Gray];
Console.WriteLine("| run | final test accuracy | best test accuracy (round) | epsilon (as reported) | steps |");
Console.WriteLine("| --- | --- | --- | --- | --- |");
var i = 0;
foreach (var spec in args.Skip(1))
{
    var (label, dir) = (spec[..spec.LastIndexOf('=')], spec[(spec.LastIndexOf('=') + 1)..]);
    using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")));
    var rows = json.RootElement.GetProperty("history").EnumerateArray()
        .Where(r => r.GetProperty("failure").ValueKind == JsonValueKind.Null && r.GetProperty("testAccuracy").ValueKind == JsonValueKind.Number)
        .Select(r => (Round: r.GetProperty("round").GetInt32(), Accuracy: r.GetProperty("testAccuracy").GetDouble(), Metrics: r.GetProperty("metrics")))
        .ToList();
    var last = rows[^1];
    var best = rows.Where(r => r.Round > 0).MaxBy(r => r.Accuracy);
    string epsilon = "∞ (non-private)", steps = "-";
    if (last.Metrics.TryGetProperty("dp.epsilon", out var e) || last.Metrics.TryGetProperty("dp.epsilon.no-guarantee", out e))
    {
        epsilon = e.GetDouble().ToString("0.00", CultureInfo.InvariantCulture);
        steps = last.Metrics.GetProperty("dp.steps").GetDouble().ToString(CultureInfo.InvariantCulture);
    }

    var scatter = plot.Add.Scatter(rows.Select(r => (double)r.Round).ToArray(), rows.Select(r => r.Accuracy).ToArray(), colors[i++ % colors.Length]);
    scatter.LegendText = $"{label} (epsilon {epsilon})";
    scatter.LineWidth = 2;
    scatter.MarkerSize = 3;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {label} | {last.Accuracy:0.0000} | {best.Accuracy:0.0000} ({best.Round}) | {epsilon} | {steps} |"));
}

plot.Axes.SetLimitsY(0, 1);
plot.ShowLegend(Alignment.LowerRight);
plot.SavePng(args[0], 1000, 600);
Console.WriteLine($"wrote {args[0]}");
return 0;
