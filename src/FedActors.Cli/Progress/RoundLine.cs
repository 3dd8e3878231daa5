using System.Globalization;
using FedActors.Core.Metrics;
using FedActors.Core.Privacy;
using FedActors.Core.Strategies;

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
            parts.Add(r.Dropped.IsEmpty
                ? "dropped 0"
                : $"dropped {r.Dropped.Length} ({string.Join(", ", r.Dropped.Select(d => d.Phase == "fit" ? $"{d.Client.Value}: {d.Reason}" : $"{d.Client.Value}: {d.Reason} in {d.Phase}"))})");
            if ((CentralPrivacy(r) ?? LocalPrivacy(r)) is { } privacy)
            {
                parts.Add(privacy);
            }

            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{r.Timings.Total.TotalSeconds:0.00}s"));
        }

        return string.Join("  ", parts);
    }

    // Central DP's epsilon so far (marked when the seeded noise makes it no guarantee) and the clip norm.
    private static string? CentralPrivacy(RoundRecord r)
    {
        var (guaranteed, epsilon) = r.Metrics.TryGetValue(DpFedAvg.EpsilonMetric, out var e) ? (true, e)
            : r.Metrics.TryGetValue(DpFedAvg.UnguaranteedEpsilonMetric, out e) ? (false, e)
            : (true, double.NaN);
        if (double.IsNaN(epsilon))
        {
            return null;
        }

        return string.Create(CultureInfo.InvariantCulture, $"epsilon {epsilon:0.000}{(guaranteed ? string.Empty : " (seeded, no guarantee)")}  clip {r.Metrics.GetValueOrDefault(DpFedAvg.ClipMetric):0.####}");
    }

    // Local DP's epsilon, the largest over the round's clients (each client accounts for itself).
    private static string? LocalPrivacy(RoundRecord r) =>
        r.Metrics.TryGetValue(LocalPrivacyLoss.MetricRound, out var epsilon) && r.Metrics.TryGetValue(LocalPrivacyLoss.MetricComposed, out var composed)
            ? string.Create(CultureInfo.InvariantCulture, $"local eps {epsilon:0.00} (composed {composed:0.00}, max over clients)")
            : r.Metrics.ContainsKey(LocalPrivacyLoss.MetricNonPrivate) ? "local DP noise seeded: NOT private" : null;

    private static string Metric(double? value) => value?.ToString("0.0000", CultureInfo.InvariantCulture) ?? "-";
}
