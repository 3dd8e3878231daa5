using System.Collections.Immutable;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;

namespace FedActors.Core.Strategies;

/// <summary>One client's validated update, as a strategy receives it.</summary>
/// <param name="Client">Who trained.</param>
/// <param name="Parameters">The locally trained parameters, in the global model's layout.</param>
/// <param name="SampleCount">The client's local sample count (n_k), at least 1.</param>
/// <param name="Extras">Named tensors the client sent for the strategy; empty for FedAvg.</param>
/// <param name="Metrics">Named scalars the client sent for the strategy; empty for FedAvg.</param>
public sealed record ClientUpdate(
    ClientId Client,
    Parameters Parameters,
    int SampleCount,
    ImmutableSortedDictionary<string, Parameters> Extras,
    ImmutableSortedDictionary<string, double> Metrics);
