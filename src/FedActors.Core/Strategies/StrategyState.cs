using System.Collections.Immutable;
using FedActors.Core.Tensors;

namespace FedActors.Core.Strategies;

/// <summary>What a stateful strategy keeps between rounds, as named tensors and scalars, so that a checkpoint can hold it.</summary>
/// <param name="Tensors">Named tensors (e.g. FedAdam's m and v, SCAFFOLD's global control variate).</param>
/// <param name="Scalars">Named scalars (e.g. a step count, an adaptive clip norm).</param>
public sealed record StrategyState(ImmutableSortedDictionary<string, Parameters> Tensors, ImmutableSortedDictionary<string, double> Scalars)
{
    /// <summary>No state.</summary>
    public static readonly StrategyState Empty = new(NamedTensors.Empty, NamedTensors.NoHyperparameters);

    /// <summary>True when there is nothing in it.</summary>
    public bool IsEmpty => Tensors.IsEmpty && Scalars.IsEmpty;

    /// <summary>The names it holds, for error messages.</summary>
    public string Describe() =>
        IsEmpty ? "no state" : $"tensors [{string.Join(", ", Tensors.Keys)}] and scalars [{string.Join(", ", Scalars.Keys)}]";
}
