using System.Collections.Immutable;
using FedActors.Core.Protocol;

namespace FedActors.Core.Metrics;

/// <summary>What happened in one round: who was asked, who answered, who was dropped and why, the metrics and the timings.</summary>
/// <param name="Round">The round; round 0 records the initial model's evaluation only.</param>
/// <param name="Attempt">1 for the first attempt at this round, more when a failed round was retried.</param>
/// <param name="Registered">Clients registered when the round started.</param>
/// <param name="Asked">Clients sampled for training, in id order.</param>
/// <param name="Answered">Clients whose valid update was aggregated, in id order.</param>
/// <param name="Dropped">Clients left out, with the reason, in id order.</param>
/// <param name="TrainLoss">Sample-weighted mean of the clients' training losses; null when nobody answered.</param>
/// <param name="TrainAccuracy">Sample-weighted mean of the clients' training accuracies; null when nobody answered.</param>
/// <param name="TestLoss">Centralised test loss of the new global model; null without a central evaluator.</param>
/// <param name="TestAccuracy">Centralised test accuracy of the new global model; null without a central evaluator.</param>
/// <param name="Timings">How long each phase took.</param>
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
    RoundTimings Timings);
