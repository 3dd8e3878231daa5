using System.Collections.Immutable;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Protocol;

// Messages between the RoundCoordinator and its clients. Every one carries the client's
// stable id and, where it belongs to a round, the round number and attempt, so that a late
// reply from an earlier round, or from a failed attempt of a retried round, is recognised and
// ignored rather than aggregated with a seed the run did not give it.

/// <summary>A client announces itself to the coordinator; the sender is the client's actor. Sent until acknowledged.</summary>
public sealed record RegisterClient(ClientId Client) : IFedActorsMessage;

/// <summary>The coordinator's acknowledgement: the client is in its registry and may be sampled.</summary>
public sealed record ClientRegistered(ClientId Client) : IFedActorsMessage;

/// <summary>A reply that belongs to one phase of one attempt at a round.</summary>
public interface IPhaseReply : IFedActorsMessage
{
    /// <summary>Who replies.</summary>
    ClientId Client { get; }

    /// <summary>The round of the request it answers.</summary>
    RoundNumber Round { get; }

    /// <summary>The attempt of the request it answers.</summary>
    int Attempt { get; }
}

/// <summary>The coordinator asks a client to train from the global model.</summary>
/// <param name="Round">The round this work belongs to.</param>
/// <param name="Attempt">The attempt at the round (1, or more after a failed round was retried).</param>
/// <param name="Global">The global model.</param>
/// <param name="Config">The local optimiser's settings, with the strategy's hyperparameters for this client.</param>
/// <param name="Seed">Seed for the client's randomness in this round.</param>
/// <param name="Extras">Named tensors from the strategy; empty for FedAvg.</param>
/// <param name="Timeout">
/// How long the phase waits for the reply. The deadline travels with the request because a
/// client blocked in training cannot receive a cancel message: its trainer's token fires when
/// this much time has passed since the request arrived.
/// </param>
public sealed record FitRequest(
    RoundNumber Round,
    int Attempt,
    Parameters Global,
    FitConfig Config,
    int Seed,
    ImmutableSortedDictionary<string, Parameters> Extras,
    TimeSpan Timeout) : IFedActorsMessage;

/// <summary>A client's trained update.</summary>
/// <param name="Client">Who trained.</param>
/// <param name="Round">The round the update belongs to.</param>
/// <param name="Attempt">The attempt the update answers, as in its request.</param>
/// <param name="Updated">The locally trained parameters.</param>
/// <param name="SampleCount">Samples in one local epoch: the update's FedAvg weight.</param>
/// <param name="Loss">Mean training loss of the last local epoch.</param>
/// <param name="Accuracy">Training accuracy of the last local epoch.</param>
/// <param name="Extras">Named tensors for the strategy; empty for FedAvg.</param>
/// <param name="Metrics">Named scalars for the strategy (e.g. whether the update was clipped); empty for FedAvg.</param>
public sealed record FitResult(
    ClientId Client,
    RoundNumber Round,
    int Attempt,
    Parameters Updated,
    int SampleCount,
    double Loss,
    double Accuracy,
    ImmutableSortedDictionary<string, Parameters> Extras,
    ImmutableSortedDictionary<string, double> Metrics) : IPhaseReply;

/// <summary>The coordinator asks a client to evaluate the global model on its own held-out data (federated evaluation).</summary>
/// <param name="Round">The round whose new global model is evaluated.</param>
/// <param name="Attempt">The attempt at the round.</param>
/// <param name="Global">The model to evaluate.</param>
/// <param name="Timeout">How long the phase waits for the reply (see <see cref="FitRequest.Timeout"/>).</param>
public sealed record EvaluateRequest(RoundNumber Round, int Attempt, Parameters Global, TimeSpan Timeout) : IFedActorsMessage;

/// <summary>A client's evaluation of the global model on its held-out data.</summary>
/// <param name="Client">Who evaluated.</param>
/// <param name="Round">The round of the request.</param>
/// <param name="Attempt">The attempt of the request.</param>
/// <param name="SampleCount">How many held-out samples were evaluated: the result's weight.</param>
/// <param name="Loss">Mean loss over them.</param>
/// <param name="Accuracy">Share classified correctly, in [0, 1].</param>
public sealed record EvaluateResult(ClientId Client, RoundNumber Round, int Attempt, int SampleCount, double Loss, double Accuracy) : IPhaseReply;

/// <summary>A client could not finish a request: its trainer threw (it has been restarted and registers again) or honoured its cancellation at the deadline.</summary>
/// <param name="Client">Who failed.</param>
/// <param name="Round">The round of the request.</param>
/// <param name="Attempt">The attempt of the request.</param>
/// <param name="Phase">The phase of the request (<c>fit</c>, <c>evaluate</c>).</param>
/// <param name="Reason">What went wrong, for the round's record.</param>
/// <param name="Cancelled">True when the trainer stopped because its deadline passed.</param>
public sealed record ClientFailed(ClientId Client, RoundNumber Round, int Attempt, string Phase, string Reason, bool Cancelled) : IPhaseReply;
