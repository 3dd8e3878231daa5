using System.Collections.Immutable;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Protocol;

// Messages between the RoundCoordinator and its clients. Every one carries the client's
// stable id and, where it belongs to a round, the round number and attempt, so that a late
// reply from an earlier round, or from a failed attempt of a retried round, is recognised and
// ignored rather than aggregated with a seed the run did not give it.

/// <summary>A client announces itself to the coordinator; the sender is the client's actor.</summary>
public sealed record RegisterClient(ClientId Client) : IFedActorsMessage;

/// <summary>The coordinator's acknowledgement: the client is in its registry and may be sampled.</summary>
public sealed record ClientRegistered(ClientId Client) : IFedActorsMessage;

/// <summary>The coordinator asks a client to train from the global model.</summary>
/// <param name="Round">The round this work belongs to.</param>
/// <param name="Attempt">The attempt at the round (1, or more after a failed round was retried).</param>
/// <param name="Global">The global model.</param>
/// <param name="Config">The local optimiser's settings.</param>
/// <param name="Seed">Seed for the client's randomness in this round.</param>
/// <param name="Extras">Named tensors from the strategy; empty for FedAvg.</param>
public sealed record FitRequest(
    RoundNumber Round,
    int Attempt,
    Parameters Global,
    FitConfig Config,
    int Seed,
    ImmutableSortedDictionary<string, Parameters> Extras) : IFedActorsMessage;

/// <summary>A client's trained update.</summary>
/// <param name="Client">Who trained.</param>
/// <param name="Round">The round the update belongs to.</param>
/// <param name="Attempt">The attempt the update answers, as in its request.</param>
/// <param name="Updated">The locally trained parameters.</param>
/// <param name="SampleCount">Samples in one local epoch: the update's FedAvg weight.</param>
/// <param name="Loss">Mean training loss of the last local epoch.</param>
/// <param name="Accuracy">Training accuracy of the last local epoch.</param>
/// <param name="Extras">Named tensors for the strategy; empty for FedAvg.</param>
public sealed record FitResult(
    ClientId Client,
    RoundNumber Round,
    int Attempt,
    Parameters Updated,
    int SampleCount,
    double Loss,
    double Accuracy,
    ImmutableSortedDictionary<string, Parameters> Extras) : IFedActorsMessage;

/// <summary>A client could not finish its fit (its trainer threw); it has been restarted and is registered again.</summary>
public sealed record FitFailed(ClientId Client, RoundNumber Round, int Attempt, string Reason) : IFedActorsMessage;
