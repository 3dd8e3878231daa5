using System.Collections.Immutable;
using FedActors.Core.Metrics;
using FedActors.Core.Tensors;

namespace FedActors.Core.Simulation;

/// <summary>How a run ended.</summary>
/// <param name="Succeeded">True when every round completed.</param>
/// <param name="FailureReason">Why the run stopped early; null when it succeeded.</param>
/// <param name="History">The completed rounds' records, round 0 first when there is a central evaluator.</param>
/// <param name="FinalParameters">The final global model; null when the run failed.</param>
public sealed record RunOutcome(bool Succeeded, string? FailureReason, ImmutableArray<RoundRecord> History, Parameters? FinalParameters)
{
    /// <summary>Why a successful run ended before its last round (a spent privacy budget); null when every round ran.</summary>
    public string? StopReason { get; init; }

    /// <summary>The last completed round of a run stopped on request before its end (<see cref="Server.StopRun"/>): it resumes from that round's checkpoint. Null otherwise.</summary>
    public Protocol.RoundNumber? StoppedAfter { get; init; }
}
