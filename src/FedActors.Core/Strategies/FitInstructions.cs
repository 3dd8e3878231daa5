using System.Collections.Immutable;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Strategies;

/// <summary>What a strategy sends with the global model in a round's fit requests.</summary>
/// <param name="Config">The local optimiser's settings (a strategy may add hyperparameters).</param>
/// <param name="Extras">Named tensors for the clients (e.g. a global control variate); empty for FedAvg.</param>
public sealed record FitInstructions(FitConfig Config, ImmutableSortedDictionary<string, Parameters> Extras);
