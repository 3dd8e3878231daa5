using System.Globalization;
using FedActors.Core.Metrics;
using FedActors.Core.Privacy;

namespace FedActors.Cli.Progress;

/// <summary>The one-line summary of a round that both progress displays show.</summary>
internal static class RoundLine
{
    /// <summary>e.g. <c>round 3/10  test acc 0.8123  test loss 0.5321  answered 2/2  dropped 0  1.23s</c>.</summary>
    public static string Format(RoundRecord r, int totalRounds)
    {
        var round = r.Round.Value == 0 ? "initial model" : $"round {r.Round.Value}/{totalRounds}";
        if (r.Attempt > 1)
        {
            round += $" (attempt {r.Attempt})";
        }

        if (r.Failure is not null)
        {
            return $"{round} failed: {r.Failure}";
        }

        var parts = new List<string>
        {
            round,
            $"test acc {Metric(r.TestAccuracy)}",
            $"test loss {Metric(r.TestLoss)}",
        };
        if (r.Federated is { } f)
        {
            parts.Add($"fed acc {Metric(f.Accuracy)} ({f.Clients} clients)");
        }

        if (r.Round.Value > 0)
        {
            parts.Add($"answered {r.Answered.Length}/{r.Asked.Length}");
            if (r.Metrics.TryGetValue(LocalPrivacyLoss.MetricRound, out var epsilon) && r.Metrics.TryGetValue(LocalPrivacyLoss.MetricComposed, out var composed))
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"local eps {epsilon:0.00} (composed {composed:0.00}, max over clients)"));
            }
            else if (r.Metrics.ContainsKey(LocalPrivacyLoss.MetricNonPrivate))
            {
                parts.Add("local DP noise seeded: NOT private");
            }

            parts.Add(r.Dropped.IsEmpty
                ? "dropped 0"
                : $"dropped {r.Dropped.Length} ({string.Join(", ", r.Dropped.Select(d => d.Phase == "fit" ? $"{d.Client.Value}: {d.Reason}" : $"{d.Client.Value}: {d.Reason} in {d.Phase}"))})");
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{r.Timings.Total.TotalSeconds:0.00}s"));
        }

        return string.Join("  ", parts);
    }

    private static string Metric(double? value) => value?.ToString("0.0000", CultureInfo.InvariantCulture) ?? "-";
}
