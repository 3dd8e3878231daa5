using System.Collections.Immutable;
using FedActors.Core.Tensors;

namespace FedActors.Core.Strategies;

/// <summary>A strategy's aggregation: the next global model and the scalars worth recording with the round.</summary>
/// <param name="Global">The next global model, in the current model's layout.</param>
/// <param name="Metrics">Named scalars for the round's record (empty for FedAvg).</param>
public sealed record AggregationResult(Parameters Global, ImmutableSortedDictionary<string, double> Metrics)
{
    /// <summary>A result with no metrics.</summary>
    public static AggregationResult Of(Parameters global) => new(global, NamedTensors.NoHyperparameters);
}
