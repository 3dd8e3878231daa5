using System.Collections.Immutable;
using FedActors.Core.Metrics;
using FedActors.Core.Tensors;

namespace FedActors.Cli.Simulation;

/// <summary>What a simulation run produced.</summary>
/// <param name="Succeeded">Every round completed.</param>
/// <param name="FailureReason">Why the run stopped, when it did not succeed.</param>
/// <param name="History">Every record, in order, failed attempts included (round 0 is the initial model's evaluation, if any).</param>
/// <param name="Final">The final global model; null when the run failed.</param>
/// <param name="TestSamples">Size of the server's test set the test accuracy is measured on.</param>
/// <param name="Preparation">Wall time spent loading data and building clients before the first round.</param>
/// <param name="Training">Wall time of the rounds themselves.</param>
internal sealed record SimulationResult(
    bool Succeeded,
    string? FailureReason,
    ImmutableArray<RoundRecord> History,
    Parameters? Final,
    int TestSamples,
    TimeSpan Preparation,
    TimeSpan Training)
{
    /// <summary>The simulation's Byzantine clients (fedactors.simulation.attack), in id order; empty without an attack.</summary>
    public ImmutableArray<Core.Protocol.ClientId> Attackers { get; init; } = [];

    /// <summary>Why a successful run ended before its last round (a spent privacy budget); null when every round ran.</summary>
    public string? StopReason { get; init; }

    /// <summary>The last completed round of a run stopped on request before its end (a server's SIGTERM): it resumes from there. Null otherwise.</summary>
    public int? StoppedAfter { get; init; }
}
