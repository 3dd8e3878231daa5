using System.Text.Json;
using System.Text.Json.Nodes;
using FedActors.Core.Metrics;
using FedActors.Core.Privacy;
using FedActors.Core.Strategies;

namespace FedActors.Cli.Output;

/// <summary>
/// Writes metrics.json: the configuration used, every round's record (asked, answered, dropped
/// with reasons, losses, accuracies, timings) and run totals.
/// </summary>
internal static class MetricsJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The document as text.</summary>
    public static string Render(RunReport report)
    {
        var final = report.LastEvaluated;
        var federated = report.LastFederated;
        var document = new JsonObject
        {
            ["config"] = report.Config.DeepClone(),
            ["configSources"] = JsonSerializer.SerializeToNode(new { file = report.ConfigFile, commandLine = report.CommandLine }, Options),
            ["attackers"] = JsonSerializer.SerializeToNode(new { kind = report.Attack.Kind, clients = report.Attack.Clients }, Options),
            ["history"] = JsonSerializer.SerializeToNode(report.History.Select(ToRow).ToList(), Options),
            ["totals"] = JsonSerializer.SerializeToNode(
                new
                {
                    rounds = report.FinalAttempts.Count(r => r.Round.Value > 0),
                    attempts = report.History.Count(r => r.Round.Value > 0),
                    asked = report.History.Sum(r => r.Asked.Length),
                    answered = report.History.Sum(r => r.Answered.Length),
                    dropped = report.History.Sum(r => r.Dropped.Length),
                    droppedByReason = report.History.SelectMany(r => r.Dropped)
                        .GroupBy(d => d.Reason)
                        .OrderBy(g => g.Key)
                        .ToDictionary(g => g.Key.ToString(), g => g.Count()),
                    finalRound = final?.Round.Value,
                    finalTestAccuracy = Finite(final?.TestAccuracy),
                    finalTestLoss = Finite(final?.TestLoss),
                    finalFederatedRound = federated?.Round.Value,
                    finalFederatedAccuracy = Finite(federated?.Federated?.Accuracy),
                    finalFederatedLoss = Finite(federated?.Federated?.Loss),
                    testSamples = report.TestSamples,
                    preparationSeconds = report.Preparation.TotalSeconds,
                    trainingSeconds = report.Training.TotalSeconds,
                },
                Options),
        };
        if (report.CentralDp is { } dp)
        {
            document["privacy"] = Privacy(report, dp);
        }

        return document.ToJsonString(Options);
    }

    /// <summary>The fields of this document that central DP's epsilon does NOT cover: they are computed from the clients' raw data or behaviour.</summary>
    public static readonly IReadOnlyList<string> NotCoveredByCentralDp =
    [
        "history[].trainLoss", "history[].trainAccuracy", "history[].federated", "history[].asked", "history[].answered",
        "history[].dropped", "history[].failure", "history[].phases", "history[].stragglers", "history[].timings", "history[].registered",
        "totals.asked", "totals.answered", "totals.dropped", "totals.droppedByReason", "totals.finalFederatedAccuracy", "totals.finalFederatedLoss",
    ];

    // What the epsilon covers and what it does not, said where the numbers are (README's "Privacy" section says it at length).
    private static JsonNode? Privacy(RunReport report, CentralDpSettings dp)
    {
        var last = report.FinalAttempts.LastOrDefault(r => r.Metrics.ContainsKey(DpFedAvg.StepsMetric));
        var epsilonMetric = dp.SecureNoise ? DpFedAvg.EpsilonMetric : DpFedAvg.UnguaranteedEpsilonMetric;
        return JsonSerializer.SerializeToNode(
            new
            {
                mode = "central",
                mechanism = "DP-FedAvg (McMahan et al. 2018): each update's delta clipped to L2 norm C, discrete Gaussian noise z*C on their sum, divided by q*N",
                unit = "client-level: neighbouring runs differ by adding or removing one client's whole data; the server is trusted",
                guarantee = dp.SecureNoise,
                noise = dp.SecureNoise ? "secure (operating system CSPRNG)" : "seeded-non-private (from the published seed: no guarantee at all)",
                epsilonMetric,
                epsilon = last is null ? (double?)null : last.Metrics[epsilonMetric],
                delta = dp.Delta,
                steps = last is null ? 0 : last.Metrics[DpFedAvg.StepsMetric],
                accountant = dp.Accountant == AccountantKind.Rdp ? $"rdp ({(dp.Conversion == RdpConversion.Improved ? "improved" : "classic")} conversion)" : "pld",
                samplingRate = dp.SamplingRate,
                noiseMultiplier = dp.NoiseMultiplier,
                clip = dp.Clip,
                adaptiveClipping = dp.Adaptive is not null,
                epsilonBudget = dp.EpsilonBudget,
                stopReason = report.StopReason,
                covered = new[]
                {
                    "the global model after every round (model.safetensors, checkpoints)",
                    "history[].testLoss, history[].testAccuracy (the released model on the server's own test set)",
                    "history[].metrics (functions of the released noised values)",
                },
                notCovered = NotCoveredByCentralDp,
            },
            Options);
    }

    /// <summary>Writes the document to <paramref name="path"/>.</summary>
    public static void Write(RunReport report, string path) => File.WriteAllText(path, Render(report));

    private static object ToRow(RoundRecord r) => new
    {
        round = r.Round.Value,
        attempt = r.Attempt,
        registered = r.Registered,
        asked = r.Asked.Select(c => c.Value).ToList(),
        answered = r.Answered.Select(c => c.Value).ToList(),
        dropped = r.Dropped.Select(d => new { client = d.Client.Value, phase = d.Phase, reason = d.Reason.ToString(), detail = d.Detail }).ToList(),
        failure = r.Failure,
        trainLoss = Finite(r.TrainLoss),
        trainAccuracy = Finite(r.TrainAccuracy),
        testLoss = Finite(r.TestLoss),
        testAccuracy = Finite(r.TestAccuracy),
        federated = r.Federated is { } f
            ? new { clients = f.Clients, samples = f.SampleCount, loss = Finite(f.Loss), accuracy = Finite(f.Accuracy) }
            : null,
        metrics = r.Metrics.ToDictionary(kv => kv.Key, kv => Finite(kv.Value)),
        phases = r.Phases.Select(p => new
        {
            name = p.Name,
            asked = p.Asked.Length,
            replied = p.Replied.Length,
            dropped = p.Dropped.Length,
            deadlineReached = p.DeadlineReached,
            seconds = p.Duration.TotalSeconds,
        }).ToList(),
        stragglers = r.Stragglers.Select(s => new { client = s.Client.Value, phase = s.Phase, round = s.Round.Value, attempt = s.Attempt }).ToList(),
        timings = new
        {
            fitSeconds = r.Timings.Fit.TotalSeconds,
            aggregateSeconds = r.Timings.Aggregate.TotalSeconds,
            evaluateSeconds = r.Timings.Evaluate.TotalSeconds,
            federatedEvaluateSeconds = r.Timings.FederatedEvaluate.TotalSeconds,
            totalSeconds = r.Timings.Total.TotalSeconds,
        },
    };

    // JSON has no NaN or infinity; a diverged loss is written as null.
    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}
