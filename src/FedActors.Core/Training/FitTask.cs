using System.Collections.Immutable;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;

namespace FedActors.Core.Training;

/// <summary>One client's work in one round, as its trainer receives it.</summary>
/// <param name="Client">The client being trained.</param>
/// <param name="Round">The round this work belongs to.</param>
/// <param name="Global">The global model to start from.</param>
/// <param name="Config">The local optimiser's settings.</param>
/// <param name="Seed">Seed for everything random in this fit (shuffling, dropout), derived from the run's seed, the round and the client.</param>
/// <param name="Extras">Named tensors the strategy sends along (e.g. SCAFFOLD's global control variate); empty for FedAvg.</param>
/// <param name="ClientState">Tensors this client kept from its previous fit (e.g. its own control variate); empty on its first fit.</param>
public sealed record FitTask(
    ClientId Client,
    RoundNumber Round,
    Parameters Global,
    FitConfig Config,
    int Seed,
    ImmutableSortedDictionary<string, Parameters> Extras,
    ImmutableSortedDictionary<string, Parameters> ClientState);
