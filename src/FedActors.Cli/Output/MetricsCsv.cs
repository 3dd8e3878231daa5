using System.Globalization;
using System.Text;
using FedActors.Core.Metrics;

namespace FedActors.Cli.Output;

/// <summary>Writes metrics.csv: one row per round record, invariant culture, RFC 4180 quoting.</summary>
internal static class MetricsCsv
{
    /// <summary>The header row.</summary>
    public const string Header =
        "round,attempt,registered,asked,answered,dropped,dropped_clients,train_loss,train_accuracy,test_loss,test_accuracy,"
        + "federated_loss,federated_accuracy,federated_samples,failure,fit_seconds,aggregate_seconds,evaluate_seconds,federated_evaluate_seconds,total_seconds";

    /// <summary>The file's text: the fixed columns, then one column per strategy metric that any round reports (e.g. dp.epsilon), by name.</summary>
    public static string Render(IEnumerable<RoundRecord> history)
    {
        var rows = history.ToList();
        var metrics = rows.SelectMany(r => r.Metrics.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var text = new StringBuilder().Append(Header);
        foreach (var name in metrics)
        {
            text.Append(',').Append(Quote(name));
        }

        text.Append('\n');
        foreach (var r in rows)
        {
            var drops = string.Join("; ", r.Dropped.Select(d => d.Phase == "fit" ? $"{d.Client.Value} {d.Reason}" : $"{d.Client.Value} {d.Reason} ({d.Phase})"));
            string[] cells =
            [
                Number(r.Round.Value), Number(r.Attempt), Number(r.Registered),
                Number(r.Asked.Length), Number(r.Answered.Length), Number(r.Dropped.Length), Quote(drops),
                Number(r.TrainLoss), Number(r.TrainAccuracy), Number(r.TestLoss), Number(r.TestAccuracy),
                Number(r.Federated?.Loss), Number(r.Federated?.Accuracy), r.Federated is { } f ? Number((int)f.SampleCount) : string.Empty, Quote(r.Failure ?? string.Empty),
                Number(r.Timings.Fit.TotalSeconds), Number(r.Timings.Aggregate.TotalSeconds),
                Number(r.Timings.Evaluate.TotalSeconds), Number(r.Timings.FederatedEvaluate.TotalSeconds), Number(r.Timings.Total.TotalSeconds),
            ];
            text.AppendJoin(',', [.. cells, .. metrics.Select(m => r.Metrics.TryGetValue(m, out var v) ? Number(v) : string.Empty)]).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Writes the file to <paramref name="path"/>.</summary>
    public static void Write(IEnumerable<RoundRecord> history, string path) => File.WriteAllText(path, Render(history));

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? string.Empty;

    private static string Quote(string cell) =>
        cell.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
}
