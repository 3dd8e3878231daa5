using System.Collections.Immutable;
using FedActors.Core.Protocol;
using FedActors.Core.Strategies;

namespace FedActors.Core.Metrics;

/// <summary>What happened in one attempt at a round: its phases, who was asked, who answered, who was dropped and why, the metrics and the timings.</summary>
/// <param name="Round">The round; round 0 records the initial model's evaluation only.</param>
/// <param name="Attempt">1 for the first attempt at this round, more when a failed attempt was retried.</param>
/// <param name="Registered">Clients registered when the attempt started.</param>
/// <param name="Asked">Clients sampled for training, in id order.</param>
/// <param name="Answered">Clients whose valid update was aggregated, in id order.</param>
/// <param name="Dropped">Clients left out of any phase, with the phase and the reason, phase by phase in id order.</param>
/// <param name="TrainLoss">Sample-weighted mean of the clients' training losses; null when nobody answered.</param>
/// <param name="TrainAccuracy">Sample-weighted mean of the clients' training accuracies; null when nobody answered.</param>
/// <param name="TestLoss">Centralised test loss of the new global model; null without a central evaluator.</param>
/// <param name="TestAccuracy">Centralised test accuracy of the new global model; null without a central evaluator.</param>
/// <param name="Federated">The clients' evaluation of the new global model on their held-out data; null when federated evaluation did not run this round.</param>
/// <param name="Metrics">Named scalars from the strategy's aggregation (e.g. a server learning rate or a clip norm).</param>
/// <param name="Phases">Each phase of the attempt, in order.</param>
/// <param name="Failure">Why the attempt failed (and was retried, or stopped the run); null when it completed.</param>
/// <param name="Stragglers">Clients whose trainer ignored its cancellation and kept its training thread past an earlier deadline, learnt of during this attempt.</param>
/// <param name="Timings">How long each part took.</param>
public sealed record RoundRecord(
    RoundNumber Round,
    int Attempt,
    int Registered,
    ImmutableArray<ClientId> Asked,
    ImmutableArray<ClientId> Answered,
    ImmutableArray<ClientDrop> Dropped,
    double? TrainLoss,
    double? TrainAccuracy,
    double? TestLoss,
    double? TestAccuracy,
    EvaluationSummary? Federated,
    ImmutableSortedDictionary<string, double> Metrics,
    ImmutableArray<PhaseRecord> Phases,
    string? Failure,
    ImmutableArray<Straggler> Stragglers,
    RoundTimings Timings)
{
    /// <summary>True when the attempt completed (its model became the global model).</summary>
    public bool Completed => Failure is null;

    /// <summary>The record with every wall time zeroed: what two runs of the same seed must agree on.</summary>
    public RoundRecord WithoutTimings() => this with
    {
        Timings = RoundTimings.Zero,
        Phases = [.. Phases.Select(p => p with { Duration = TimeSpan.Zero })],
    };
}

/// <summary>A client whose trainer finished after its phase's deadline instead of honouring its cancellation token.</summary>
/// <param name="Client">Who.</param>
/// <param name="Phase">The phase whose deadline it overran.</param>
/// <param name="Round">The round of that phase.</param>
/// <param name="Attempt">The attempt of that phase.</param>
public sealed record Straggler(ClientId Client, string Phase, RoundNumber Round, int Attempt);
