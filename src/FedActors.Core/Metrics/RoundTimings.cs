namespace FedActors.Core.Metrics;

/// <summary>Wall time of each part of a round. Kept apart from the metrics because it is the one part of a record that varies between two runs with the same seed.</summary>
/// <param name="Fit">The fit phase: from sending the fit requests to the last reply or the deadline.</param>
/// <param name="Aggregate">The strategy's aggregation.</param>
/// <param name="Evaluate">Centralised evaluation of the new global model.</param>
/// <param name="FederatedEvaluate">The federated evaluation phase.</param>
/// <param name="Total">The whole round.</param>
/// <param name="Sampling">From the attempt's start to the fit phase's first request: sampling, the strategy's fit configuration, and a phased strategy's phases before fit.</param>
/// <param name="Sending">The fit phase's requests, from the first to the last (part of <paramref name="Fit"/>).</param>
public sealed record RoundTimings(TimeSpan Fit, TimeSpan Aggregate, TimeSpan Evaluate, TimeSpan FederatedEvaluate, TimeSpan Total, TimeSpan Sampling = default, TimeSpan Sending = default)
{
    /// <summary>All zero: for round 0 and for records compared across runs.</summary>
    public static readonly RoundTimings Zero = new(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
}
